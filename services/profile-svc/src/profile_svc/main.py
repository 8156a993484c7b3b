"""How profile-svc is put together."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from pathwise_runtime.service import ServiceSpec
from profile_svc.api import (
    accommodations,
    district,
    full_record,
    guardians,
    learners,
    portal,
    profiles,
    rosters,
)
from profile_svc.projections.access_log import AccessLogProjection
from profile_svc.projections.mastery import MasteryProjection
from profile_svc.projections.profiles import ProfilesProjection


def _routes(app: FastAPI) -> None:
    for router in (
        profiles.router,
        rosters.router,
        learners.router,
        guardians.router,
        portal.router,
        accommodations.router,
        full_record.router,
        district.router,
    ):
        app.include_router(router)


SPEC = ServiceSpec(
    name="profile-svc",
    migrations=Path(__file__).resolve().parents[2] / "migrations",
    projections=lambda _: [ProfilesProjection(), MasteryProjection(), AccessLogProjection()],
    # Each keeps its own tables and tombstones: replay rebuilds them at once.
    replay_stages=[("profiles", "mastery", "access_log")],
    # The audit log and the mastery read model: nothing on the way to an email waits.
    unhurried=("mastery", "access_log"),
    configure_api=_routes,
)
