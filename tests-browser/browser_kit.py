"""What every browser test needs: the system chromium, sign-in, axe-core and screenshots.

The browser is Debian's ``chromium`` package (or any build named by
``PATHWISE_CHROMIUM``) launched by its path: Playwright's own browser download
cannot run here, and users with their own build keep working. axe-core comes
from ``tests-browser/node_modules`` (``make browser`` runs ``npm ci``) and is
injected into the page under test, so nothing is fetched while a test runs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from playwright.async_api import Page

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHROMIUM_ENV = "PATHWISE_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
AXE_SCRIPT = HERE / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = HERE / "artifacts"
README_IMAGES = ROOT / "docs" / "images"
UPDATE_SCREENSHOTS_ENV = "PATHWISE_UPDATE_SCREENSHOTS"

LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
    "--disable-quic",
)
"""No sandbox (tests run as root in CI); nothing phoning home; no first-run UI."""

BLOCKING_IMPACTS = frozenset({"serious", "critical"})

WRITTEN: list[Path] = []
"""Screenshots written in this run (the session summary prints where they are)."""


def chromium_path() -> str:
    """The browser to drive: ``PATHWISE_CHROMIUM`` if set, else Debian's package."""
    return os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM


def missing() -> str | None:
    """Why the browser tests cannot run here, naming the fix; None when they can."""
    browser = chromium_path()
    if not (Path(browser).is_file() and os.access(browser, os.X_OK)) and not shutil.which(browser):
        return (
            f"no chromium at {browser}: run `make browser` (as root it installs Debian's "
            f"chromium package), `sudo apt-get install chromium`, or set {CHROMIUM_ENV} "
            "to a chromium build of your own"
        )
    if not AXE_SCRIPT.is_file():
        return (
            f"axe-core is not installed ({AXE_SCRIPT.relative_to(ROOT)} is missing): "
            "run `make browser` (npm ci in tests-browser/)"
        )
    return None


async def sign_in(page: Page, base_url: str, role: str, subject: str) -> None:
    """Sign in through the development sign-in form (``/signin``) and wait for home."""
    await page.goto(f"{base_url}/signin")
    await page.select_option("select[name=role]", role)
    field = page.locator("[name=subject]")
    if await field.evaluate("e => e.tagName") == "SELECT":
        await field.select_option(subject)
    else:
        await field.fill(subject)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Sign in").click()
    if page.url.rstrip("/").endswith("/signin"):
        raise AssertionError(f"sign-in as {role} {subject!r} stayed on {page.url}")


async def check_axe(page: Page) -> list[dict[str, Any]]:
    """Run axe-core (all its rules: WCAG 2.x A/AA and best practice) on the page;
    fail on any serious or critical violation.

    Returns every violation (minor and moderate ones included) so a test can
    report them; the assertion message lists rule id, impact and target of each
    blocking one.
    """
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        # Not page.add_script_tag: that adds an inline <script>, which the portal's
        # Content-Security-Policy (script-src 'self') rightly refuses. Evaluating the
        # file through the DevTools protocol is outside CSP, so the policy stays on
        # for everything the portal itself runs.
        await page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = await page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(" ")),
            }));
        }"""
    )
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        lines = [
            f"  {v['id']} ({v['impact']}): {v['help']}; targets: {', '.join(v['targets'][:5])}"
            for v in blocking
        ]
        raise AssertionError(
            f"axe-core: {len(blocking)} serious/critical violation(s) on {page.url}:\n"
            + "\n".join(lines)
        )
    return violations


async def shot(page: Page, name: str, *, readme: str | None = None) -> Path:
    """A full-page PNG in ``tests-browser/artifacts/<name>.png``.

    With ``readme`` and ``PATHWISE_UPDATE_SCREENSHOTS=1`` the same picture is also
    written to ``docs/images/<readme>.png`` (committed, shown by the README), so
    ordinary runs never touch tracked files.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    WRITTEN.append(path)
    if readme and os.environ.get(UPDATE_SCREENSHOTS_ENV) == "1":
        README_IMAGES.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(README_IMAGES / f"{readme}.png"), full_page=True)
    return path
