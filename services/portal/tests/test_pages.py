"""Pages against stub services (no I/O): CSRF on every POST, 404 for what one may not see."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from stub_portal import csrf, family_of_ana, portal_client

pytestmark = pytest.mark.unit
SECRET = "x" * 32


def services(request: httpx.Request) -> httpx.Response:
    """profile-svc and friends as a guardian of stu-1 (only) would find them."""
    family = family_of_ana(request, "ar")
    if family is not None:
        return family
    return httpx.Response(404, json={"detail": "no such student in your district"})


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    async with portal_client(services, SECRET) as client:
        yield client


async def test_posts_without_the_csrf_token_are_refused(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/signin")
    assert page.status_code == 200 and 'name="role"' in page.text and 'name="subject"' in page.text
    refused = await browser.post("/signin", data={"role": "guardian", "subject": "gdn-1"})
    assert refused.status_code == 403 and "<h1>" in refused.text
    wrong = await browser.post(
        "/signin", data={"role": "guardian", "subject": "gdn-1", "csrf_token": "forged"}
    )
    assert wrong.status_code == 403


async def test_a_guardian_sees_their_child_in_their_language_and_not_another(
    browser: httpx.AsyncClient,
) -> None:
    assert (await browser.get("/family")).headers["location"].startswith("/signin")
    token = csrf((await browser.get("/signin")).text)
    signed = await browser.post(
        "/signin", data={"role": "guardian", "subject": "gdn-1", "csrf_token": token}
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/family"
    home = await browser.get("/family")
    assert home.status_code == 200
    assert '<html lang="ar" dir="rtl">' in home.text and "Ana" in home.text
    assert home.text.count("<h1>") == 1 and 'class="skip-link" href="#main"' in home.text
    other = await browser.get("/family/children/stu-2")
    assert other.status_code == 404 and 'dir="rtl"' in other.text
    teacher_page = await browser.get("/teacher")
    assert teacher_page.status_code == 404  # another role's pages do not exist for a guardian
    events = await browser.get("/events/students/stu-2")
    assert events.status_code == 404
    switched = await browser.post(
        "/language", data={"lang": "es", "next": "/family", "csrf_token": csrf(home.text)}
    )
    assert switched.status_code == 303
    assert '<html lang="es" dir="ltr">' in (await browser.get("/family")).text
    out = await browser.post("/signout", data={"csrf_token": csrf(home.text)})
    assert out.status_code == 200
    assert (await browser.get("/family")).status_code == 303
