"""``GET /v1/message-settings``: what the district's messages follow, for administrators.

Read-only: the rules are shipped with the service (``rules.json``) and the
delivery knobs are its settings, so an administrator can see what families
and teachers are told, how urgently and how it travels, without the
deployment's secrets (no server names, accounts or tokens).
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from notify_svc.domain.rules import Rules, load
from notify_svc.settings import NotifySettings
from pathwise_runtime.auth import AdminOrService

router = APIRouter(prefix="/v1", tags=["message settings"])


class TriggerOut(BaseModel):
    kind: str
    urgent: bool
    delivery: str
    audiences: list[str]
    news_window_hours: float
    significant_modalities: list[str]


class MessageSettings(BaseModel):
    triggers: list[TriggerOut]
    digest_local_time: str
    default_time_zone: str
    coalesce_window_s: float
    retries: int
    channels: dict[str, bool]
    """Which channels this deployment can send on (SMS needs a provider)."""


def describe(rules: Rules, settings: NotifySettings) -> MessageSettings:
    """The rules and delivery settings as an administrator reads them."""
    return MessageSettings(
        triggers=[
            TriggerOut(
                kind=rule.kind,
                urgent=rule.urgent,
                delivery=rule.delivery,
                audiences=sorted(rule.audiences),
                news_window_hours=rule.news_window.total_seconds() / 3600,
                significant_modalities=list(rule.significant_modalities),
            )
            for rule in sorted(rules.triggers.values(), key=lambda r: r.kind)
        ],
        digest_local_time=rules.digest_at.strftime("%H:%M"),
        default_time_zone=rules.default_time_zone,
        coalesce_window_s=settings.coalesce_window_s,
        retries=settings.retries,
        channels={"email": True, "sms": settings.sms_provider_url is not None},
    )


@router.get("/message-settings", response_model=MessageSettings)
async def message_settings(who: AdminOrService) -> MessageSettings:
    return describe(load(), NotifySettings())
