"""The portal as a fifth process beside the four services.

It has no database, no projection and nothing to replay, so it is not one of
``SERVICES`` (which the stack iterates for databases, replay and catch-up):
it gets its own spec, environment and start function here.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, Final

from pathwise_devstack.devtoken import SECRET_ENV
from pathwise_devstack.services import SERVICES
from pathwise_devstack.stack import Infrastructure
from pathwise_devstack.supervisor import Supervisor

NAME: Final = "portal"
MODULE: Final = "portal"
DEFAULT_PORT: Final = 8105


def url(port: int) -> str:
    """The portal's address on the loopback interface."""
    return f"http://127.0.0.1:{port}"


def portal_env(infra: Infrastructure, port: int, ports: Mapping[str, int]) -> dict[str, str]:
    """What the portal process is started with: the services' URLs, the broker, the secret.

    The session key is derived from the stack's dev secret; cookies are not
    ``Secure`` because the embedded stack serves plain HTTP on the loopback.
    """
    env = {
        "SERVICE_NAME": NAME,
        "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        SECRET_ENV: infra.dev_secret,
        "PATHWISE_PORTAL_COOKIE_SECURE": "false",
        "LOG_FORMAT": "json",
    }
    for spec in SERVICES:
        env[spec.url_env] = spec.url(ports[spec.name])
    return env


def start(
    supervisor: Supervisor,
    infra: Infrastructure,
    port: int,
    ports: Mapping[str, int],
    *,
    wait: bool = True,
) -> None:
    """Run ``python -m portal`` under the supervisor (ready once its live feed is connected)."""
    command = [sys.executable, "-m", MODULE]
    supervisor.start(NAME, command, port=port, env=portal_env(infra, port, ports), wait=wait)


def describe(port: int) -> dict[str, Any]:
    return {"module": MODULE, "port": port, "url": url(port)}
