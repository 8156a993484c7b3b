"""Browser-test fixtures: the whole platform with the portal, a demo district, chromium.

Everything is session-wide (one platform, one browser); each test gets a fresh
browser context, so cookies never leak from one signed-in user to the next.
Without a chromium or axe-core every test here skips, naming how to install
them (`make browser` does both).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import browser_kit
import demo_district
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from pathwise_devstack.platform import Platform
from pathwise_devstack.quick import QUICK_SETTINGS

COALESCE_WINDOW_S = "10"


def _require_browser() -> None:
    reason = browser_kit.missing()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The whole platform with the portal, as processes (only when a browser can use it)."""
    _require_browser()
    workdir = tmp_path_factory.mktemp("browser")
    with pytest.MonkeyPatch.context() as env:
        # A family's facts of one burst travel together, as they do in a district
        # (the local stack otherwise tells each at once): the mail sink page shows it.
        env.setenv("NOTIFY_COALESCE_WINDOW_S", COALESCE_WINDOW_S)
        with Platform(
            workdir, log_path=workdir / "services.log", settings=QUICK_SETTINGS
        ) as running:
            yield running


@pytest.fixture(scope="session")
async def portal(platform: Platform) -> demo_district.Portal:
    """The portal's base URL, once the demo district is loaded and applied everywhere."""
    district = await demo_district.load(platform)
    return demo_district.Portal(platform=platform, url=platform.portal_url, district=district)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Headless chromium from its path, with the flags the issue names."""
    _require_browser()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=browser_kit.chromium_path(),
            headless=True,
            args=list(browser_kit.LAUNCH_ARGS),
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def new_page(browser: Browser) -> AsyncIterator[Callable[[], Awaitable[Page]]]:
    """Factory: a page in a fresh context (no cookies: one per signed-in user).

    The test fails on any uncaught script error in any of its pages.
    """
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    async def make() -> Page:
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        opened = await context.new_page()
        opened.on("pageerror", lambda error: errors.append(f"{opened.url}: {error}"))
        return opened

    yield make
    for context in contexts:
        await context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
async def page(new_page: Callable[[], Awaitable[Page]]) -> Page:
    """One page in a fresh context."""
    return await new_page()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if browser_kit.WRITTEN:
        terminalreporter.write_line(
            f"browser tests: {len(browser_kit.WRITTEN)} screenshot(s) in {browser_kit.ARTIFACTS}"
        )
