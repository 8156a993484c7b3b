"""The four Pathwise services, in start order, with what it takes to run each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    """How to run one service: `sys.executable -m <module>` with its own database."""

    name: str
    module: str
    database: str
    default_port: int
    url_env: str

    def url(self, port: int) -> str:
        """Base URL of the service on the loopback interface."""
        return f"http://127.0.0.1:{port}"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("assessment-svc", "assessment_svc", "assessment", 8101, "ASSESSMENT_URL"),
    ServiceSpec("profile-svc", "profile_svc", "profile", 8102, "PROFILE_URL"),
    ServiceSpec("path-svc", "path_svc", "path", 8103, "PATH_URL"),
    ServiceSpec("notify-svc", "notify_svc", "notify", 8104, "NOTIFY_URL"),
)


def service_by_name(name: str) -> ServiceSpec:
    """Look a service up by its name (`path-svc`)."""
    for spec in SERVICES:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown service {name!r}; known: {', '.join(s.name for s in SERVICES)}")


def resolve_ports(overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """Fixed default ports unless overridden by service name."""
    overrides = overrides or {}
    unknown = set(overrides) - {spec.name for spec in SERVICES}
    if unknown:
        raise KeyError(f"unknown service(s): {', '.join(sorted(unknown))}")
    return {spec.name: overrides.get(spec.name, spec.default_port) for spec in SERVICES}
