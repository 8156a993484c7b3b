"""The portal in-process against stub services: a client signed in through /signin."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx

from portal.app import create_app
from portal.settings import PortalSettings

Services = Callable[[httpx.Request], httpx.Response]


@asynccontextmanager
async def portal_client(services: Services, secret: str) -> AsyncIterator[httpx.AsyncClient]:
    """The portal app, its upstream services answered by ``services``; no I/O."""
    settings = PortalSettings(
        PATHWISE_AUTH_DEV_SECRET=secret,
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
        yield client


def family_of_ana(request: httpx.Request, language: str) -> httpx.Response | None:
    """profile-svc as guardian gdn-1 of stu-1 (Ana) finds it, in ``language``; None for
    any other path (the caller answers those)."""
    path = request.url.path
    if path == "/v1/people":
        return httpx.Response(200, json=[{"person_id": "gdn-1", "role": "guardian", "hint": ""}])
    if path == "/v1/students" and request.url.host == "profile":
        return httpx.Response(200, json=[{"student_id": "stu-1", "display_name": "Ana"}])
    if path == "/v1/students/stu-1":
        guardian = {
            "guardian_id": "gdn-1",
            "educational_rights": True,
            "language": language,
            "consent": {"email": True, "sms": False},
            "frequency": {},
        }
        return httpx.Response(
            200, json={"student_id": "stu-1", "display_name": "Ana", "guardians": [guardian]}
        )
    return None


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "every form carries a csrf_token"
    return found.group(1)


async def sign_in(browser: httpx.AsyncClient, role: str, subject: str) -> str:
    """Through the development sign-in form, as a browser would; the session's CSRF token."""
    token = csrf((await browser.get("/signin")).text)
    signed = await browser.post(
        "/signin", data={"role": role, "subject": subject, "csrf_token": token}
    )
    assert signed.status_code == 303
    return token
