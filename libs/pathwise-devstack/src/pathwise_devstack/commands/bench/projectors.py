"""The projectors on the runtime's real path: `Projector` + `BatchApplier` over a FastStream
broker, with the trivial `Tally` projection and with path-svc's own projections."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import asyncpg
from faststream.kafka import KafkaBroker

from pathwise_contracts import ASSESSMENT_EVENTS, Envelope
from pathwise_devstack.commands.bench.workload import (
    POLL_INTERVAL_S,
    PROJECTOR_MAX_RECORDS,
    BenchError,
    PathService,
    Stall,
    Workload,
    rate,
)
from pathwise_runtime import migrations
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.projection import Delivered, Projection
from pathwise_runtime.projector import Projector
from pathwise_runtime.service import open_pool, tune_gc
from pathwise_runtime.settings import ServiceSettings
from pathwise_runtime.tally import SCHEMA as TALLY_SCHEMA
from pathwise_runtime.tally import Tally


@dataclass
class BenchRuntime:
    """What a service's `SPEC.projections` may read from its runtime."""

    settings: ServiceSettings
    pool: asyncpg.Pool
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return f"urn:pathwise:{self.settings.service_name}"


class OnBenchTopic:
    """A service projection, unchanged, subscribed to the benchmark's topic."""

    name: str
    topics: tuple[str, ...]
    tables: tuple[str, ...]

    def __init__(self, inner: Projection, topic: str) -> None:
        self._inner = inner
        self.name = inner.name
        self.topics = (topic,)
        self.tables = tuple(inner.tables)

    async def apply(
        self, conn: asyncpg.Connection, batch: Sequence[Delivered]
    ) -> Sequence[Envelope]:
        return await self._inner.apply(conn, batch)


# ---------------------------------------------------------------------------
# Measures


def _quiet_logger() -> logging.Logger:
    """FastStream's service messages (assignments, task callbacks) only when they matter."""
    logger = logging.getLogger("pathwise.bench.faststream")
    logger.setLevel(logging.WARNING)
    return logger


async def run_projectors(
    bootstrap: str,
    pool: asyncpg.Pool,
    projections: Sequence[Projection],
    *,
    what: str,
    events: int,
    progress: Callable[[list[Projector]], Awaitable[int]],
) -> dict[str, Any]:
    """Run the projections as a service does and time them until `progress` reaches N.

    Two clocks: from `broker.start()` and from the moment every projector holds
    its partitions. The difference is the consumer-group join, a fixed start-up
    delay the broker imposes (not a throughput), which the raw consumer without
    a group does not pay; the headline rate is timed from the assignment.
    """
    broker = KafkaBroker(
        bootstrap,
        client_id="pathwise-bench",
        enable_idempotence=False,
        logger=_quiet_logger(),
        log_level=logging.DEBUG,
    )
    group = f"bench-{secrets.token_hex(4)}"
    projectors = [
        Projector(
            BatchApplier(p, pool, bootstrap),
            group_id=f"{group}.{p.name}",
            max_records=PROJECTOR_MAX_RECORDS,
        )
        for p in projections
    ]
    for projector in projectors:
        projector.register(broker)

    async def all_assigned() -> float:
        for projector in projectors:
            await projector.has_assignment.wait()
        return time.perf_counter()

    tune_gc()  # as a service process does (pathwise_runtime.service.run)
    started = time.perf_counter()
    assignment = asyncio.create_task(all_assigned())
    try:
        await broker.start()
        stall = Stall(what)
        while True:
            done = await progress(projectors)
            if done >= events:
                break
            problems = "; ".join(p.problem for p in projectors if p.problem)
            stall.check(done, events, problems)
            await asyncio.sleep(POLL_INTERVAL_S)
        finished = time.perf_counter()
        assigned = await assignment
    finally:
        assignment.cancel()
        await broker.stop()
    stats = [p.applier.stats for p in projectors]
    from_start = rate(events, finished - started)
    return {
        **rate(events, finished - assigned),
        "group_join_seconds": round(assigned - started, 3),
        "seconds_from_start": from_start["seconds"],
        "events_per_s_from_start": from_start["events_per_s"],
        "batches": sum(s.batches for s in stats),
        "applied": sum(s.applied for s in stats),
        "dead_lettered": sum(s.dead_lettered for s in stats),
        "emitted": sum(s.emitted for s in stats),
        "max_records": PROJECTOR_MAX_RECORDS,
    }


async def _migrate(dsn: str, files: list[tuple[str, str]]) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await migrations.migrate(conn, files)
    finally:
        await conn.close()


async def measure_runtime_projector(bootstrap: str, dsn: str, workload: Workload) -> dict[str, Any]:
    """The runtime's projector over `Tally`; done when tally_totals sums to N."""
    await _migrate(dsn, [*migrations.runtime_migrations(), ("tally", TALLY_SCHEMA)])
    pool = await open_pool(dsn)
    try:
        # Tally declares `tables` as a fixed pair; the Protocol's attribute is any tuple.
        projection = cast(Projection, Tally("bench_tally", [workload.topic.name]))

        async def applied(_: list[Projector]) -> int:
            total = await pool.fetchval("SELECT coalesce(sum(events), 0) FROM tally_totals")
            return int(total)

        result = await run_projectors(
            bootstrap,
            pool,
            [projection],
            what="runtime projector",
            events=workload.events,
            progress=applied,
        )
        rows = await pool.fetchval("SELECT count(*) FROM tally_effects")
    finally:
        await pool.close()
    if rows != workload.events or result["applied"] != workload.events:
        raise BenchError(
            f"runtime projector: {rows} effect rows, {result['applied']} applied, "
            f"expected {workload.events}"
        )
    return result


def service_migrations(spec: Any) -> list[tuple[str, str]]:
    """The runtime's migrations followed by the service's own folder, if it has one."""
    files = migrations.runtime_migrations()
    folder = getattr(spec, "migrations", None)
    if folder is not None and Path(folder).is_dir():
        files += migrations.folder_migrations(Path(folder))
    return files


async def measure_path_projector(
    bootstrap: str, dsn: str, workload: Workload, service: PathService
) -> dict[str, Any]:
    """path-svc's projections that read assessment events, on the benchmark topic."""
    spec = service.spec
    await _migrate(dsn, await asyncio.to_thread(service_migrations, spec))
    pool = await open_pool(dsn)
    try:
        settings = ServiceSettings(
            SERVICE_NAME="path-svc",
            DATABASE_URL=dsn,
            KAFKA_BOOTSTRAP_SERVERS=bootstrap,
        )
        built = list(spec.projections(BenchRuntime(settings, pool)))
        chosen = [p for p in built if ASSESSMENT_EVENTS.name in tuple(p.topics)]
        if not chosen:
            raise BenchError(
                f"none of path-svc's projections ({', '.join(p.name for p in built) or 'none'}) "
                f"reads {ASSESSMENT_EVENTS.name}"
            )
        projections = [OnBenchTopic(p, workload.topic.name) for p in chosen]

        async def handled(projectors: list[Projector]) -> int:
            return min(p.applier.stats.applied + p.applier.stats.dead_lettered for p in projectors)

        result = await run_projectors(
            bootstrap,
            pool,
            projections,
            what="path-svc projector",
            events=workload.events,
            progress=handled,
        )
    finally:
        await pool.close()
    result["projections"] = [p.name for p in projections]
    if result["dead_lettered"]:
        result["warning"] = (
            f"{result['dead_lettered']} events were dead-lettered, not applied; "
            "the figure overstates the projection's real throughput"
        )
    return result


# ---------------------------------------------------------------------------
# The whole run
