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

from html import escape
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from notify_svc.adapters.profile_consent import change_consent
from notify_svc.adapters.unsubscribe_links import signing_key, verify
from notify_svc.settings import NotifySettings

router = APIRouter(prefix="/v1/unsubscribe", tags=["unsubscribe"])
Token = Annotated[str, Path(min_length=10, max_length=1000)]


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
