"""Composition root shared by the services: one process = HTTP API + projectors + relay.

FastStream runs inside the FastAPI lifespan (decided once, here): the API,
the Kafka subscribers and the outbox relay start and stop together, and
SIGTERM drains them within the grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware

from pathwise_runtime import (
    dependencies,
    kafka_security,
    limits,
    metrics,
    migrations,
    problems,
    telemetry,
)
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.auth import TokenVerifier
from pathwise_runtime.outbox import OutboxRelay
from pathwise_runtime.projection import Projection
from pathwise_runtime.projector import Projector
from pathwise_runtime.settings import ServiceSettings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What handlers and background workers of a running service can use."""

    settings: ServiceSettings
    pool: asyncpg.Pool
    broker: KafkaBroker
    relay: OutboxRelay
    projectors: list[Projector] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    backlog: metrics.Backlog | None = None

    @property
    def source(self) -> str:
        """The CloudEvents ``source`` of everything this service emits."""
        return f"urn:pathwise:{self.settings.service_name}"


Worker = Callable[[Runtime], Awaitable[Callable[[], Awaitable[None]]]]


@dataclass
class ServiceSpec:
    """How one service is put together; ``main`` of each service builds one."""

    name: str
    migrations: Path
    projections: Callable[[Runtime], Sequence[Projection]] = lambda _: ()
    configure_api: Callable[[FastAPI], None] = lambda _: None
    # Started after the projectors; each returns its stop function.
    workers: Sequence[Worker] = ()
    # Replay rebuilds these groups of projection names one after another, each
    # group's projections concurrently: one that reads another's tables goes in a
    # later group. Empty: one projection at a time, in the order above.
    replay_stages: Sequence[Sequence[str]] = ()
    # Projections off the path from a result to its email (audit logs, read models
    # nobody polls right after a write): their consumers wait longer at the broker
    # when the log is quiet, which saves most of the broker's idle fetches.
    unhurried: Sequence[str] = ()


async def open_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size)
    assert pool is not None
    return pool


async def prepare_database(dsn: str, folder: Path) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return await migrations.migrate(
            conn, migrations.runtime_migrations() + migrations.folder_migrations(folder)
        )
    finally:
        await conn.close()


def build_projectors(
    spec: ServiceSpec, runtime: Runtime, *, group_prefix: str | None = None
) -> list[Projector]:
    settings = runtime.settings
    prefix = group_prefix or settings.service_name
    return [
        Projector(
            BatchApplier(
                p, runtime.pool, settings.kafka_bootstrap_servers, service=settings.service_name
            ),
            group_id=f"{prefix}.{p.name}",
            max_records=settings.consumer_max_records,
            batch_timeout_ms=settings.consumer_batch_timeout_ms,
            fetch_max_wait_ms=(
                settings.consumer_unhurried_fetch_max_wait_ms
                if p.name in spec.unhurried
                else settings.consumer_fetch_max_wait_ms
            ),
            session_timeout_ms=settings.consumer_session_timeout_ms,
        )
        for p in spec.projections(runtime)
    ]


def create_app(spec: ServiceSpec, settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or ServiceSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        provider = telemetry.configure_tracing(
            settings.service_name,
            settings.otel_exporter_endpoint,
            os.environ.get(telemetry.TRACE_FILE_ENV),
        )
        wait = settings.startup_wait_s
        await dependencies.until_up(
            "the database",
            lambda: prepare_database(settings.database_url, spec.migrations),
            within_s=wait,
        )
        pool = await open_pool(settings.database_url)
        await dependencies.until_up(
            "the brokers",
            lambda: dependencies.kafka_answers(
                settings.kafka_bootstrap_servers, kafka_security.client_options(settings)
            ),
            within_s=wait,
        )
        broker = KafkaBroker(
            settings.kafka_bootstrap_servers,
            middlewares=[KafkaTelemetryMiddleware(tracer_provider=provider)],
            enable_idempotence=settings.kafka_enable_idempotence,
            client_id=settings.service_name,
            security=kafka_security.broker_security(settings),
            log_level=logging.DEBUG,  # per-message logs only when asked for
        )
        relay = OutboxRelay(
            pool,
            settings.database_url,
            settings.kafka_bootstrap_servers,
            enable_idempotence=settings.kafka_enable_idempotence,
            kafka_options=kafka_security.client_options(settings),
            service=settings.service_name,
            poll_interval_s=settings.outbox_poll_interval_s,
        )
        runtime = Runtime(settings, pool, broker, relay)
        runtime.projectors = build_projectors(spec, runtime)
        runtime.backlog = metrics.Backlog(
            settings.service_name,
            pool,
            settings.kafka_bootstrap_servers,
            {p.name: p.applier.projection.topics for p in runtime.projectors},
        )
        for projector in runtime.projectors:
            projector.register(broker)
        app.state.runtime = runtime
        await broker.start()
        await relay.start()
        stops = [await worker(runtime) for worker in spec.workers]
        log.info("service started", extra={"port": settings.http_port})
        try:
            yield
        finally:
            log.info("service stopping")
            for stop in reversed(stops):
                await stop()
            await broker.stop()
            await relay.stop()
            await pool.close()
            provider.shutdown()

    app = FastAPI(title=spec.name, lifespan=lifespan, telemetry=metrics.FASTAPI_TELEMETRY)
    app.state.token_verifier = TokenVerifier(settings)
    problems.install(app)
    limits.install(app, settings)
    app.add_middleware(metrics.HttpObserver, service=settings.service_name)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        return readiness(request.app.state.runtime)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus(request: Request) -> Response:
        backlog = request.app.state.runtime.backlog
        if backlog is not None:
            await backlog.refresh()
        return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)

    spec.configure_api(app)
    return app


def readiness(runtime: Runtime) -> JSONResponse:
    """Ready once every projector has its partitions and none is halted."""
    projections = {
        p.name: {
            "assigned": sorted(f"{tp.topic}[{tp.partition}]" for tp in p.assigned),
            "has_assignment": p.has_assignment.is_set(),
            "problem": p.problem,
            "applied": p.applier.stats.applied,
            "skipped": p.applier.stats.skipped,
            "dead_lettered": p.applier.stats.dead_lettered,
            "positions": p.applier.stats.positions,
        }
        for p in runtime.projectors
    }
    relay = runtime.relay
    ready = relay.problem is None and all(
        v["has_assignment"] and not v["problem"] for v in projections.values()
    )
    body = {
        "ready": ready,
        "projections": projections,
        "outbox_published": relay.published,
        "outbox": {"published": relay.published, "dead": relay.dead, "problem": relay.problem},
    }
    return JSONResponse(body, status_code=200 if ready else 503)


def tune_gc() -> None:
    """Collect less often in a consumer process.

    A projector allocates a few objects per record in batches of thousands, and
    CPython's default thresholds then run a young collection every 700
    allocations, repeatedly scanning everything the batch still holds: up to
    half of a batch's decoding time (`make bench`). Objects alive after start-up
    are frozen out of collections; the young generation collects every 50,000.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def run(spec: ServiceSpec) -> None:
    """Entry point of a service process: JSON logs, uvicorn, graceful SIGTERM."""
    settings = ServiceSettings()
    telemetry.configure_logging(settings.service_name, settings.log_format, settings.log_level)
    app = create_app(spec, settings)
    tune_gc()
    serve(app, settings)


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Serve ``app`` until SIGTERM, finishing requests within the grace period (our JSON
    logs, no access log: requests are in the metrics and traces)."""
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.shutdown_grace_s),
    )
    asyncio.run(uvicorn.Server(config).serve())
