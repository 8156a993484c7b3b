"""notify-svc put together: planning and delivery-log projections, the query API, the sender."""

from __future__ import annotations

from pathlib import Path

from notify_svc.api import router
from notify_svc.projections import DeliveryLogProjection, PlanningProjection
from notify_svc.sender import start_sender
from pathwise_runtime.service import ServiceSpec

SPEC = ServiceSpec(
    name="notify-svc",
    migrations=Path(__file__).resolve().parents[2] / "migrations",
    projections=lambda _rt: [PlanningProjection(), DeliveryLogProjection()],
    configure_api=lambda app: app.include_router(router),
    workers=[start_sender],
)
