"""Changing a guardian's consent on a channel, through profile-svc's consent API.

The profile is the one place consent lives; its ``ConsentChanged`` /
``ContactPreferencesChanged`` come back to notify-svc's planning like any other
change. Used by one-click email unsubscribe and by SMS STOP / START.
"""

from __future__ import annotations

import httpx

from notify_svc.adapters.contacts import LookupFailed, ServiceCredentials
from notify_svc.settings import NotifySettings
from pathwise_runtime.problems import Problem
from pathwise_runtime.settings import ServiceSettings


async def change_consent(
    service: ServiceSettings,
    settings: NotifySettings,
    *,
    district_id: str,
    student_id: str,
    guardian_id: str,
    channel: str,
    granted: bool,
    source: str,
) -> None:
    """Ask profile-svc to record the change; Problem 503/502/404 when it cannot."""
    if settings.profile_url is None:
        raise Problem(503, "PROFILE_URL is not set; consent cannot be changed")
    secret = settings.service_token.get_secret_value() if settings.service_token else None
    try:
        bearer = ServiceCredentials(service, secret).token(district_id)
    except LookupFailed as exc:
        raise Problem(503, str(exc)) from exc
    url = (
        f"{settings.profile_url.rstrip('/')}/v1/students/{student_id}"
        f"/guardians/{guardian_id}/consent"
    )
    body = {"channel": channel, "granted": granted, "source": source}
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.post(
                url, json=body, headers={"Authorization": f"Bearer {bearer}"}
            )
    except httpx.HTTPError as exc:
        raise Problem(503, f"profile-svc unreachable ({type(exc).__name__}); try again") from exc
    if answer.status_code == 404:
        raise Problem(404, "token: this guardian is no longer on file")
    if answer.status_code >= 300:
        raise Problem(502, f"profile-svc answered {answer.status_code}; try again")
