"""How path-svc is put together: its migrations, projections and API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from path_svc.api.bundled_frameworks import router as bundled_frameworks
from path_svc.api.paths import router
from path_svc.api.portal import router as portal_reads
from path_svc.api.publishing import router as publishing
from path_svc.api.record_section import router as record_section
from path_svc.api.steering import router as steering
from path_svc.projections import FrameworksProjection, IntakeProjection, PlanningProjection
from path_svc.workers.school_days import start_school_days
from path_svc.workers.weekly_groups import start_weekly_groups
from pathwise_runtime.service import ServiceSpec


def _configure(app: FastAPI) -> None:
    app.include_router(router)
    app.include_router(publishing)
    app.include_router(steering)
    app.include_router(portal_reads)
    app.include_router(record_section)
    app.include_router(bundled_frameworks)


SPEC = ServiceSpec(
    name="path-svc",
    migrations=Path(__file__).resolve().parents[2] / "migrations",
    projections=lambda rt: [
        FrameworksProjection(),
        IntakeProjection(source=rt.source),
        PlanningProjection(source=rt.source),
    ],
    # frameworks first, so every published framework is known to the evidence
    # and paths that use it; then learning and planning at once: of learning's
    # tables planning reads only the erasure tombstones, whose outcome is
    # order-free (projections.erasure).
    replay_stages=[("frameworks",), ("learning", "planning")],
    configure_api=_configure,
    workers=[start_weekly_groups, start_school_days],
)
