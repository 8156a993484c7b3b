"""How assessment-svc is put together."""

from __future__ import annotations

from pathlib import Path

from assessment_svc.api import router
from assessment_svc.projections import AssessmentsProjection
from pathwise_runtime.service import ServiceSpec

SPEC = ServiceSpec(
    name="assessment-svc",
    migrations=Path(__file__).resolve().parents[2] / "migrations",
    projections=lambda _: [AssessmentsProjection()],
    configure_api=lambda app: app.include_router(router),
)
