"""The browser-test tools against a tiny local site: chromium, sign-in, axe-core, screenshots.

Keeps the harness honest on its own (a failing portal test then means the
portal, not the harness), and needs no platform: a few seconds in all.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import browser_kit
import pytest
from playwright.async_api import Page

pytestmark = pytest.mark.e2e

SIGN_IN = """<!doctype html><html lang="en"><head><title>Sign in</title></head><body>
<a href="#main">Skip to content</a><main id="main"><h1>Sign in</h1>
<form method="post" action="/signin">
<input type="hidden" name="csrf_token" value="t">
<label for="role">Role</label>
<select id="role" name="role"><option>teacher</option><option>guardian</option></select>
<label for="subject">Person</label>
<select id="subject" name="subject"><option>tch-1</option><option>gdn-1</option></select>
<button type="submit">Sign in</button></form></main></body></html>"""

HOME = """<!doctype html><html lang="en"><head><title>Home</title></head><body>
<main><h1>Signed in as {role} {subject}</h1></main></body></html>"""

INACCESSIBLE = """<!doctype html><html lang="en"><head><title>Broken</title></head><body>
<main><h1>Broken</h1><img src="/nothing.png"><form><input name="unlabelled"></form>
</main></body></html>"""


class _Site(BaseHTTPRequestHandler):
    def _send(self, status: HTTPStatus, body: str, **headers: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/signin":
            self._send(HTTPStatus.OK, SIGN_IN)
        elif self.path.startswith("/home?"):
            form = parse_qs(self.path.split("?", 1)[1])
            self._send(HTTPStatus.OK, HOME.format(role=form["role"][0], subject=form["as"][0]))
        elif self.path == "/broken":
            self._send(HTTPStatus.OK, INACCESSIBLE)
        else:
            self._send(HTTPStatus.NOT_FOUND, "<html lang='en'><title>404</title></html>")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        if form.get("csrf_token") != ["t"]:
            self._send(HTTPStatus.FORBIDDEN, "no csrf token")
            return
        target = f"/home?role={form['role'][0]}&as={form['subject'][0]}"
        self._send(HTTPStatus.SEE_OTHER, "", Location=target)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is about the browser."""


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_sign_in_submits_role_and_person_and_the_page_passes_axe(
    page: Page, site: str
) -> None:
    await browser_kit.sign_in(page, site, "guardian", "gdn-1")
    assert await page.locator("h1").inner_text() == "Signed in as guardian gdn-1"
    await browser_kit.check_axe(page)


async def test_axe_reports_each_serious_violation_with_rule_impact_and_target(
    page: Page, site: str
) -> None:
    await page.goto(f"{site}/broken")
    with pytest.raises(AssertionError) as failure:
        await browser_kit.check_axe(page)
    message = str(failure.value)
    assert "image-alt (critical)" in message
    assert "label (critical)" in message
    assert "targets: img" in message


async def test_screenshot_is_a_png_in_the_artifacts_folder(page: Page, site: str) -> None:
    await page.goto(f"{site}/signin")
    path = await browser_kit.shot(page, "kit-signin")
    assert path.parent == browser_kit.ARTIFACTS
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
