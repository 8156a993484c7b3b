"""How profile-svc is put together."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from pathwise_runtime.service import ServiceSpec
from profile_svc import api, guardian_api, learner_api, portal_reads, roster_api
from profile_svc.mastery import MasteryProjection
from profile_svc.projections import ProfilesProjection


def _routes(app: FastAPI) -> None:
    for router in (
        api.router,
        roster_api.router,
        learner_api.router,
        guardian_api.router,
        portal_reads.router,
    ):
        app.include_router(router)


SPEC = ServiceSpec(
    name="profile-svc",
    migrations=Path(__file__).resolve().parents[2] / "migrations",
    projections=lambda _: [ProfilesProjection(), MasteryProjection()],
    configure_api=_routes,
)
