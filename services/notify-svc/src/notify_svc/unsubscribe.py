"""One-click unsubscribe (RFC 8058): signed links in every mail, handled here.

The link names (district, student, guardian, channel) and carries an
HMAC-SHA256 over them, so it needs no login and cannot be forged for another
guardian. ``POST /v1/unsubscribe/{token}`` (what mail clients send for
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``) withdraws consent through
profile-svc's consent API as a service (source ``email_link``): the profile
is the one place consent lives, and its ``ConsentChanged`` /
``ContactPreferencesChanged`` come back to notify-svc's planning like any
other change. ``GET`` only shows a confirmation button, because mail scanners
fetch links and must not unsubscribe anyone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from html import escape
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from notify_svc.consent import change_consent
from notify_svc.settings import NotifySettings
from pathwise_runtime.problems import Problem
from pathwise_runtime.settings import ServiceSettings

router = APIRouter(prefix="/v1/unsubscribe", tags=["unsubscribe"])
Token = Annotated[str, Path(min_length=10, max_length=1000)]


@dataclass(frozen=True, slots=True)
class Subscription:
    """Whose messages on which channel a link stops."""

    district_id: str
    student_id: str
    guardian_id: str
    channel: str


def signing_key(settings: ServiceSettings) -> bytes:
    """A key of its own, derived from the service's PII master key (or the dev secret)."""
    secret = settings.pii_master_key or settings.auth_dev_secret
    if secret is None:
        raise RuntimeError("set PATHWISE_PII_KEY to sign unsubscribe links")
    return hashlib.sha256(b"pathwise-unsubscribe|" + secret.get_secret_value().encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, subscription: Subscription) -> str:
    """The token: the subscription's fields and their MAC, base64url, dot-separated."""
    fields = [
        subscription.district_id,
        subscription.student_id,
        subscription.guardian_id,
        subscription.channel,
    ]
    payload = "\n".join(fields).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def verify(key: bytes, token: str) -> Subscription:
    """The subscription a token names; Problem 404 for anything not signed by us."""
    try:
        encoded, mac = token.split(".", 1)
        payload = _unb64(encoded)
        valid = hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).digest(), _unb64(mac))
        fields = payload.decode().split("\n")
    except (ValueError, UnicodeDecodeError):
        valid, fields = False, []
    if not valid or len(fields) != 4:
        raise Problem(404, "token: not a valid unsubscribe link", slug="invalid-unsubscribe")
    return Subscription(*fields)


def link(settings: NotifySettings, key: bytes, subscription: Subscription) -> str:
    return f"{settings.public_url.rstrip('/')}/v1/unsubscribe/{sign(key, subscription)}"


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"</head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


@router.get("/{token}", response_class=HTMLResponse)
async def confirm(token: Token, request: Request) -> HTMLResponse:
    """A confirmation button (a GET never unsubscribes)."""
    verify(signing_key(request.app.state.runtime.settings), token)
    return _page(
        "Unsubscribe",
        f"<form method='post' action='{escape(token)}'>"
        "<button type='submit'>Stop these messages</button></form>",
    )


@router.post("/{token}", response_class=HTMLResponse)
async def unsubscribe(token: Token, request: Request) -> HTMLResponse:
    """Withdraw the guardian's consent on the link's channel, through profile-svc."""
    runtime = request.app.state.runtime
    who = verify(signing_key(runtime.settings), token)
    await change_consent(
        runtime.settings,
        NotifySettings(),
        district_id=who.district_id,
        student_id=who.student_id,
        guardian_id=who.guardian_id,
        channel=who.channel,
        granted=False,
        source="email_link",
    )
    return _page("Unsubscribed", "<p>You will not receive these messages any more.</p>")
