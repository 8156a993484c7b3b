"""The infrastructure under the services: PostgreSQL, the broker, SMTP and SMS sinks, topics.

Embedded servers by default; existing ones when `DATABASE_URL` /
`KAFKA_BOOTSTRAP_SERVERS` are set. Usable as `with` and as `async with`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import os
import secrets
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from pathwise_devstack import demo_producer
from pathwise_devstack.devtoken import SECRET_ENV, new_dev_secret
from pathwise_devstack.embedded import EmbeddedBroker, EmbeddedPostgres
from pathwise_devstack.pg import dsn_with_database, ensure_database
from pathwise_devstack.ports import LOOPBACK, free_port
from pathwise_devstack.services import SERVICES, ServiceSpec, resolve_ports
from pathwise_devstack.sink_process import SinkProcess

__all__ = [
    "SERVICES",
    "Infrastructure",
    "InfrastructureRun",
    "ServiceSpec",
    "run_coroutine_sync",
    "service_env",
    "start_infrastructure",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Infrastructure:
    """Where the running infrastructure is reachable; what services need to connect."""

    admin_dsn: str
    make_dsn: Callable[[str], str]
    bootstrap_servers: str
    smtp_host: str
    smtp_port: int
    mailbox_path: Path
    workdir: Path
    dev_secret: str
    database_prefix: str = ""
    embedded_postgres: bool = False
    embedded_broker: bool = False
    databases: Mapping[str, str] = field(default_factory=dict)
    # The SMS sink (Twilio's Messages API, locally); empty URL: none running.
    sms_url: str = ""
    sms_account_sid: str = ""
    sms_auth_token: str = ""
    sms_from: str = "+15550100000"
    sms_outbox_path: Path | None = None
    # The SMTP sink's page listing the mails received; empty: none running.
    smtp_web_url: str = ""

    def database_name(self, service: ServiceSpec) -> str:
        """The service's database name, prefix included."""
        return f"{self.database_prefix}{service.database}"

    def database_url(self, service: ServiceSpec) -> str:
        """URI of the service's own database."""
        return self.make_dsn(self.database_name(service))


def service_env(
    infra: Infrastructure,
    service: ServiceSpec,
    port: int,
    *,
    ports: Mapping[str, int] | None = None,
) -> dict[str, str]:
    """The environment one service process is started with (settings are env-only)."""
    all_ports = {**resolve_ports(ports), service.name: port}
    env = {
        "SERVICE_NAME": service.name,
        "DATABASE_URL": infra.database_url(service),
        "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "SMTP_HOST": infra.smtp_host,
        "SMTP_PORT": str(infra.smtp_port),
        SECRET_ENV: infra.dev_secret,
        "LOG_FORMAT": "json",
    }
    for spec in SERVICES:
        env[spec.url_env] = spec.url(all_ports[spec.name])
    if service.name == "assessment-svc":
        env["INGEST_PRODUCERS"] = demo_producer.credentials(infra.dev_secret)
    if service.name == "notify-svc":
        # The local stack tells each fact at once (latency is what it shows); set
        # NOTIFY_COALESCE_WINDOW_S to see a family's facts travel together.
        env["NOTIFY_COALESCE_WINDOW_S"] = os.environ.get("NOTIFY_COALESCE_WINDOW_S", "0")
        if infra.smtp_web_url:  # the sink answers "do you have this Message-ID?"
            env["SMTP_LOOKUP_URL"] = f"{infra.smtp_web_url}/messages"
    if infra.sms_url and service.name == "notify-svc":
        env |= {
            "SMS_PROVIDER_URL": infra.sms_url,
            "SMS_ACCOUNT_SID": infra.sms_account_sid,
            "SMS_AUTH_TOKEN": infra.sms_auth_token,
            "SMS_FROM": infra.sms_from,
        }
    return env


def run_coroutine_sync(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop.

    A private thread keeps the caller's loop (and its current-loop setting) untouched.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


async def _ensure_topics(bootstrap_servers: str) -> None:
    from pathwise_runtime.topics import ensure_topics

    await ensure_topics(bootstrap_servers)


class InfrastructureRun:
    """Starts and stops the infrastructure; see `start_infrastructure`."""

    def __init__(
        self,
        workdir: Path,
        *,
        database_url: str | None,
        bootstrap_servers: str | None,
        database_prefix: str,
        services: Iterable[ServiceSpec],
        create_topics: bool,
    ) -> None:
        self.workdir = workdir.resolve()
        self.state_dir = self.workdir / ".pathwise"
        self._database_url = database_url
        self._bootstrap_servers = bootstrap_servers
        self._prefix = database_prefix
        self._services = tuple(services)
        self._create_topics = create_topics
        self._resources = contextlib.ExitStack()
        self.infrastructure: Infrastructure | None = None

    def _start_servers(self) -> Infrastructure:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        resources = self._resources
        make_dsn: Callable[[str], str]
        if self._database_url:
            admin_dsn = self._database_url
            embedded_pg = False
            make_dsn = functools.partial(dsn_with_database, admin_dsn)
        else:
            postgres = resources.enter_context(EmbeddedPostgres(base_dir=self.state_dir))
            admin_dsn, make_dsn, embedded_pg = postgres.admin_dsn, postgres.dsn, True
        if self._bootstrap_servers:
            bootstrap = self._bootstrap_servers
        else:
            broker = EmbeddedBroker(log_path=self.state_dir / "broker.log")
            bootstrap = resources.enter_context(broker).bootstrap_servers
        # The sinks run as processes of their own: in this process they would share
        # the interpreter with a load generator (demo, bench) and slow down with it.
        mailbox = self.state_dir / "mailbox.jsonl"
        mailbox.unlink(missing_ok=True)
        smtp_port, web_port = free_port(), free_port()
        resources.enter_context(
            SinkProcess(
                "pathwise_devstack.smtp_server",
                ["--port", str(smtp_port), "--web-port", str(web_port), "--mailbox", str(mailbox)],
                [smtp_port, web_port],
                log_path=self.state_dir / "smtp-sink.log",
            )
        )
        outbox = self.state_dir / "sms.jsonl"
        outbox.unlink(missing_ok=True)
        sms_port = free_port()
        sms_sid, sms_token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
        resources.enter_context(
            SinkProcess(
                "pathwise_devstack.sms_server",
                ["--host", LOOPBACK, "--port", str(sms_port), "--outbox", str(outbox)],
                [sms_port],
                log_path=self.state_dir / "sms-sink.log",
                env={"SMS_ACCOUNT_SID": sms_sid, "SMS_AUTH_TOKEN": sms_token},
            )
        )
        return Infrastructure(
            admin_dsn=admin_dsn,
            make_dsn=make_dsn,
            bootstrap_servers=bootstrap,
            smtp_host=LOOPBACK,
            smtp_port=smtp_port,
            mailbox_path=mailbox,
            workdir=self.workdir,
            dev_secret=new_dev_secret(),
            database_prefix=self._prefix,
            embedded_postgres=embedded_pg,
            embedded_broker=not self._bootstrap_servers,
            databases={s.name: f"{self._prefix}{s.database}" for s in self._services},
            sms_url=f"http://{LOOPBACK}:{sms_port}",
            sms_account_sid=sms_sid,
            sms_auth_token=sms_token,
            sms_outbox_path=outbox,
            smtp_web_url=f"http://{LOOPBACK}:{web_port}",
        )

    async def _provision(self, infra: Infrastructure) -> None:
        for service in self._services:
            await ensure_database(infra.admin_dsn, infra.database_name(service))
        if self._create_topics:
            await _ensure_topics(infra.bootstrap_servers)

    def __enter__(self) -> Infrastructure:
        try:
            infra = self._start_servers()
            run_coroutine_sync(lambda: self._provision(infra))
        except BaseException:
            self._resources.close()
            raise
        self.infrastructure = infra
        return infra

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.infrastructure = None
        self._resources.close()

    async def __aenter__(self) -> Infrastructure:
        try:
            infra = await asyncio.to_thread(self._start_servers)
            await self._provision(infra)
        except BaseException:
            await asyncio.to_thread(self._resources.close)
            raise
        self.infrastructure = infra
        return infra

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.infrastructure = None
        await asyncio.to_thread(self._resources.close)


def start_infrastructure(
    workdir: Path,
    *,
    database_url: str | None = None,
    bootstrap_servers: str | None = None,
    database_prefix: str = "",
    services: Iterable[ServiceSpec] = SERVICES,
    create_topics: bool = True,
) -> InfrastructureRun:
    """Start PostgreSQL, the broker and the SMTP and SMS sinks; create databases and topics.

    Explicit arguments win over `DATABASE_URL` / `KAFKA_BOOTSTRAP_SERVERS`; with
    neither, embedded servers run with their state under `workdir/.pathwise/`.
    """
    return InfrastructureRun(
        workdir,
        database_url=database_url or os.environ.get("DATABASE_URL") or None,
        bootstrap_servers=bootstrap_servers or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None,
        database_prefix=database_prefix,
        services=services,
        create_topics=create_topics,
    )
