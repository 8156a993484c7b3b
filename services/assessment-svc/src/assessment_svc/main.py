"""How assessment-svc is put together."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from assessment_svc import mapping_api, standards_api, xapi_api
from assessment_svc.api import router
from assessment_svc.projections import AssessmentsProjection
from assessment_svc.resolution import IntakeProjection
from assessment_svc.statements import StatementsProjection
from assessment_svc.submissions import start_ingest
from pathwise_runtime.service import ServiceSpec


def _api(app: FastAPI) -> None:
    app.include_router(router)
    app.include_router(mapping_api.router)
    app.include_router(standards_api.router)
    xapi_api.install(app)


SPEC = ServiceSpec(
    name="assessment-svc",
    migrations=Path(__file__).resolve().parents[2] / "migrations",
    projections=lambda rt: [
        AssessmentsProjection(),
        StatementsProjection(),
        IntakeProjection(source=rt.source),
    ],
    configure_api=_api,
    workers=[start_ingest],
)
