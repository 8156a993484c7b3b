"""Service registry, per-service environment and DSN rewriting."""

from __future__ import annotations

from pathlib import Path

import pytest

from pathwise_devstack.cli import build_parser
from pathwise_devstack.pg import dsn_with_database
from pathwise_devstack.services import SERVICES, resolve_ports
from pathwise_devstack.stack import Infrastructure, service_env


def _infra(tmp_path: Path) -> Infrastructure:
    admin = "postgresql://postgres:@/postgres?host=/sock"
    return Infrastructure(
        admin_dsn=admin,
        make_dsn=lambda name: dsn_with_database(admin, name),
        bootstrap_servers="127.0.0.1:9092",
        smtp_host="127.0.0.1",
        smtp_port=2525,
        mailbox_path=tmp_path / "mailbox.jsonl",
        workdir=tmp_path,
        dev_secret="dev",
        database_prefix="x_",
    )


@pytest.mark.unit
def test_registry_order_and_ports() -> None:
    assert [s.name for s in SERVICES] == ["assessment-svc", "profile-svc", "path-svc", "notify-svc"]
    assert resolve_ports({"path-svc": 9000})["path-svc"] == 9000
    assert resolve_ports()["notify-svc"] == 8104
    with pytest.raises(KeyError):
        resolve_ports({"nope": 1})


@pytest.mark.unit
def test_dsn_keeps_socket_query_and_credentials() -> None:
    assert (
        dsn_with_database("postgresql://postgres:@/postgres?host=/s", "path")
        == "postgresql://postgres:@/path?host=/s"
    )
    assert (
        dsn_with_database("postgresql://u:p@h:5/admin", "notify") == "postgresql://u:p@h:5/notify"
    )


@pytest.mark.unit
def test_service_env(tmp_path: Path) -> None:
    path_svc = SERVICES[2]
    env = service_env(_infra(tmp_path), path_svc, 9103)
    assert env["SERVICE_NAME"] == "path-svc"
    assert env["DATABASE_URL"] == "postgresql://postgres:@/x_path?host=/sock"
    assert env["HTTP_PORT"] == "9103"
    assert env["PATH_URL"] == "http://127.0.0.1:9103"
    assert env["PROFILE_URL"] == "http://127.0.0.1:8102"
    assert env["PATHWISE_AUTH_DEV_SECRET"] == "dev"
    assert env["LOG_FORMAT"] == "json"
    assert env["SMTP_PORT"] == "2525"


@pytest.mark.unit
def test_cli_registers_subcommands() -> None:
    args = build_parser().parse_args(["contracts", "check"])
    assert args.action == "check"
    args = build_parser().parse_args(["up", "--port", "path-svc=9103"])
    assert args.port == ["path-svc=9103"]


@pytest.mark.integration
async def test_start_infrastructure_creates_databases(tmp_path: Path) -> None:
    pytest.importorskip("pathwise_runtime.topics")
    import asyncpg

    from pathwise_devstack.stack import start_infrastructure

    async with start_infrastructure(tmp_path) as infra:
        conn = await asyncpg.connect(infra.database_url(SERVICES[0]))
        try:
            assert await conn.fetchval("SELECT current_database()") == "assessment"
        finally:
            await conn.close()
