"""notify-svc put together: projections, the query API, unsubscribe and SMS webhooks, the sender."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from notify_svc.api import message_settings, record_section, sms_webhooks, unsubscribe
from notify_svc.api.delivery_log import router
from notify_svc.projections import DeliveryLogProjection, PlanningProjection
from notify_svc.workers.sender import start_sender
from pathwise_runtime.service import ServiceSpec


def _routes(app: FastAPI) -> None:
    app.include_router(router)
    app.include_router(unsubscribe.router)
    app.include_router(sms_webhooks.router)
    app.include_router(record_section.router)
    app.include_router(message_settings.router)


SPEC = ServiceSpec(
    name="notify-svc",
    migrations=Path(__file__).resolve().parents[2] / "migrations",
    projections=lambda _rt: [PlanningProjection(), DeliveryLogProjection()],
    # delivery_log reads planning's tombstones, order-free as in erasure live.
    replay_stages=[("planning", "delivery_log")],
    # The delivery log records what was sent; nothing waits on it.
    unhurried=("delivery_log",),
    configure_api=lambda app: _routes(app),
    workers=[start_sender],
)
