"""How assessment-svc is put together."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import FastAPI

from assessment_svc.adapters.keyring import keyring
from assessment_svc.api import mapping, record_section, results, standards, xapi
from assessment_svc.projections.assessments import AssessmentsProjection
from assessment_svc.projections.intake import IntakeProjection
from assessment_svc.projections.statements import StatementsProjection
from assessment_svc.workers.mappings import start_backfill
from assessment_svc.workers.submission_pruning import start_pruning
from assessment_svc.workers.submissions import start_ingest
from pathwise_runtime.service import ServiceSpec


def _api(app: FastAPI) -> None:
    app.include_router(results.router)
    app.include_router(mapping.router)
    app.include_router(record_section.router)
    app.include_router(standards.router)
    xapi.install(app)


SPEC = ServiceSpec(
    name="assessment-svc",
    migrations=Path(__file__).resolve().parents[2] / "migrations",
    projections=lambda rt: [
        IntakeProjection(source=rt.source, keyring=partial(keyring, rt)),
        AssessmentsProjection(),
        StatementsProjection(),
    ],
    # All three at once: the others read only intake's tombstones, whose outcome
    # is order-free (projections.erasure), as it is live.
    replay_stages=[("intake", "assessments", "statements")],
    configure_api=_api,
    workers=[start_backfill, start_ingest, start_pruning],
)
