"""A family's copy of the whole record: profile-svc's page handed through, or a clear error."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from stub_portal import portal_client, sign_in

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
    async with portal_client(services, SECRET) as client:
        await sign_in(client, "guardian", "gdn-1")
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
