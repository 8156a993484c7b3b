"""How path-svc is put together: its migrations, projections and API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from path_svc.api import router
from path_svc.projections import GuardianshipProjection, LearningProjection
from path_svc.publishing import router as publishing
from pathwise_runtime.service import ServiceSpec


def _configure(app: FastAPI) -> None:
    app.include_router(router)
    app.include_router(publishing)


SPEC = ServiceSpec(
    name="path-svc",
    migrations=Path(__file__).resolve().parents[2] / "migrations",
    projections=lambda rt: [LearningProjection(source=rt.source), GuardianshipProjection()],
    configure_api=_configure,
)
