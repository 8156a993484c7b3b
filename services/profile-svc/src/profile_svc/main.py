"""How profile-svc is put together."""

from __future__ import annotations

from pathlib import Path

from pathwise_runtime.service import ServiceSpec
from profile_svc.api import router
from profile_svc.projections import ProfilesProjection

SPEC = ServiceSpec(
    name="profile-svc",
    migrations=Path(__file__).resolve().parents[2] / "migrations",
    projections=lambda _: [ProfilesProjection()],
    configure_api=lambda app: app.include_router(router),
)
