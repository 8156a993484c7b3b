"""Signed one-click unsubscribe links: forged ones are refused, real ones reach the profile."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from notify_svc.adapters import profile_consent as consent
from notify_svc.adapters.unsubscribe_links import Subscription, sign, signing_key, verify
from notify_svc.api import unsubscribe
from pathwise_runtime import problems
from pathwise_runtime.problems import Problem
from pathwise_runtime.settings import ServiceSettings

pytestmark = pytest.mark.unit

SETTINGS = ServiceSettings(PATHWISE_AUTH_DEV_SECRET="unsubscribe-tests-" + "x" * 32)
KEY = signing_key(SETTINGS)
WHO = Subscription("d1", "s-1", "g-1", "email")


def test_a_token_round_trips_and_a_tampered_one_is_refused() -> None:
    token = sign(KEY, WHO)
    assert verify(KEY, token) == WHO
    forged = sign(b"other" * 8, Subscription("d1", "s-1", "g-2", "email"))
    for bad in (forged, token[:-2] + "xx", "not-a-token-at-all"):
        with pytest.raises(Problem):
            verify(KEY, bad)


async def test_one_click_post_withdraws_email_consent_in_profile_svc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[httpx.Request] = []

    def profile(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"student_id": "s-1", "version": 3})

    real_client = httpx.AsyncClient

    def client(**kwargs: Any) -> httpx.AsyncClient:
        return real_client(transport=httpx.MockTransport(profile), **kwargs)

    monkeypatch.setattr(consent.httpx, "AsyncClient", client)
    monkeypatch.setenv("PROFILE_URL", "http://profile")
    app = FastAPI()
    problems.install(app)
    app.include_router(unsubscribe.router)
    app.state.runtime = SimpleNamespace(settings=SETTINGS)
    transport = httpx.ASGITransport(app=app)
    async with real_client(transport=transport, base_url="http://notify") as notify:
        token = sign(KEY, WHO)
        page = await notify.get(f"/v1/unsubscribe/{token}")
        assert page.status_code == 200 and seen == []  # a GET never unsubscribes
        done = await notify.post(f"/v1/unsubscribe/{token}", content="List-Unsubscribe=One-Click")
        assert done.status_code == 200
        forged = await notify.post(f"/v1/unsubscribe/{token[:-3]}abc")
        assert forged.status_code == 404
        assert forged.headers["content-type"].startswith("application/problem+json")
    (request,) = seen
    assert request.url.path == "/v1/students/s-1/guardians/g-1/consent"
    assert json.loads(request.content) == {
        "channel": "email",
        "granted": False,
        "source": "email_link",
    }
    assert request.headers["Authorization"].startswith("Bearer ")
