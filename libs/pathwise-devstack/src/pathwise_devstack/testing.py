"""pytest fixtures for tests that need real PostgreSQL and a Kafka-protocol broker.

Register with `pytest_plugins = ["pathwise_devstack.testing"]` in the root conftest.
The stack is embedded by default, the servers in `DATABASE_URL` /
`KAFKA_BOOTSTRAP_SERVERS` when set, or Docker with `PATHWISE_TEST_STACK=docker`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from pathwise_devstack.pg import drop_database, ensure_database
from pathwise_devstack.stack import (
    SERVICES,
    Infrastructure,
    run_coroutine_sync,
    start_infrastructure,
)

STACK_ENV = "PATHWISE_TEST_STACK"


@pytest.fixture(scope="session")
def infrastructure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infrastructure]:
    """One stack per test session, with service databases and topics created."""
    mode = os.environ.get(STACK_ENV, "embedded")
    if mode not in ("embedded", "docker"):
        raise pytest.UsageError(f"{STACK_ENV} must be 'embedded' or 'docker', not {mode!r}")
    workdir = tmp_path_factory.mktemp("pathwise-stack")
    with ExitStack() as stack:
        database_url = bootstrap = None
        if mode == "docker":
            from pathwise_devstack.docker_stack import docker_servers

            database_url, bootstrap = stack.enter_context(docker_servers())
        shared_server = bool(database_url or os.environ.get("DATABASE_URL"))
        # A shared server may hold other runs' databases: keep ours apart.
        prefix = f"t{secrets.token_hex(3)}_" if shared_server else ""
        infra = stack.enter_context(
            start_infrastructure(
                workdir,
                database_url=database_url,
                bootstrap_servers=bootstrap,
                database_prefix=prefix,
            )
        )
        if shared_server:
            names = [infra.database_name(service) for service in SERVICES]
            stack.callback(_drop_databases, infra.admin_dsn, names)
        yield infra


@pytest.fixture
def database(infrastructure: Infrastructure) -> Iterator[Callable[[], str]]:
    """Factory: each call creates a fresh, uniquely named database and returns its DSN."""
    created: list[str] = []

    def create() -> str:
        name = f"test_{secrets.token_hex(6)}"
        run_coroutine_sync(lambda: ensure_database(infrastructure.admin_dsn, name))
        created.append(name)
        return infrastructure.make_dsn(name)

    yield create
    _drop_databases(infrastructure.admin_dsn, created)


@pytest.fixture(scope="module")
def module_database(infrastructure: Infrastructure) -> Iterator[str]:
    """One fresh database for a whole test module (a service shared by many checks)."""
    name = f"test_{secrets.token_hex(6)}"
    run_coroutine_sync(lambda: ensure_database(infrastructure.admin_dsn, name))
    yield infrastructure.make_dsn(name)
    _drop_databases(infrastructure.admin_dsn, [name])


def _drop_databases(admin_dsn: str, names: list[str]) -> None:
    async def drop_all() -> None:
        for name in names:
            await drop_database(admin_dsn, name)

    run_coroutine_sync(drop_all)


@pytest.fixture
def kafka_bootstrap(infrastructure: Infrastructure) -> str:
    """Bootstrap servers of the session's broker."""
    return infrastructure.bootstrap_servers
