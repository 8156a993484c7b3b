"""A family's copy of the whole record: profile-svc's page handed through, or a clear error."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from portal.app import create_app
from portal.settings import PortalSettings

pytestmark = pytest.mark.unit
SECRET = "r" * 32
PAGE = '<!DOCTYPE html><html lang="{lang}" dir="ltr"><body><main>record</main></body></html>'


def services(request: httpx.Request) -> httpx.Response:
    """profile-svc as a guardian of stu-1 finds it; stu-3's export cannot be gathered now."""
    path = request.url.path
    if path == "/v1/people":
        return httpx.Response(200, json=[{"person_id": "gdn-1", "role": "guardian", "hint": ""}])
    if path == "/v1/students/stu-1/full-record.html":
        lang = request.url.params.get("lang", "en")
        return httpx.Response(
            200,
            text=PAGE.format(lang=lang),
            headers={"content-type": "text/html", "content-language": lang},
        )
    if path == "/v1/students/stu-3/full-record.html":
        return httpx.Response(503, json={"detail": "section 'messages' unavailable"})
    return httpx.Response(404, json={"detail": "no such student in your district"})


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    settings = PortalSettings(
        PATHWISE_AUTH_DEV_SECRET=SECRET,
        PATHWISE_PORTAL_LIVE_UPDATES=False,
        PATHWISE_PORTAL_COOKIE_SECURE=False,
        PROFILE_URL="http://profile",
        PATH_URL="http://path",
        NOTIFY_URL="http://notify",
        ASSESSMENT_URL="http://assessment",
    )
    app = create_app(settings, transport=httpx.MockTransport(services))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p") as client,
    ):
        page = await client.get("/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        signed = await client.post(
            "/signin", data={"role": "guardian", "subject": "gdn-1", "csrf_token": token[1]}
        )
        assert signed.status_code == 303
        yield client


async def test_the_family_gets_the_record_page_in_their_language(
    browser: httpx.AsyncClient,
) -> None:
    page = await browser.get("/family/children/stu-1/record")
    assert page.status_code == 200 and '<html lang="en"' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp
    assert page.headers["cache-control"] == "no-store"


async def test_a_child_not_theirs_is_not_found_and_a_missing_part_is_unavailable(
    browser: httpx.AsyncClient,
) -> None:
    assert (await browser.get("/family/children/stu-2/record")).status_code == 404
    gone = await browser.get("/family/children/stu-3/record")
    assert gone.status_code == 503 and "<h1>" in gone.text
