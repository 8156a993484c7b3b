"""`pathwise bench`: projection throughput as a ratio of the raw consume-and-COPY limit.

One run, one machine, one stack, one set of messages: N AssessmentRecorded
CloudEvents are produced once to a fresh 12-partition topic, then read back
from the beginning by

1. the raw limit: an aiokafka consumer (no group) + `json.loads` + asyncpg
   `copy_records_to_table`, one transaction per 5,000 events;
2. the runtime projector: `Projector` + `BatchApplier` over the trivial `Tally`
   projection, subscribed through a FastStream `KafkaBroker` (fresh group);
3. path-svc's own projection(s), when path-svc provides them, on the same path.

Everything the run creates (topic, databases, embedded servers) it removes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import platform
import random
import secrets
import signal
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any, cast

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker
from rich.console import Console
from rich.table import Table

from pathwise_contracts import ASSESSMENT_EVENTS, AssessmentRecorded, Envelope, Topic
from pathwise_contracts.topics import FOREVER
from pathwise_devstack import entrypoints, latency
from pathwise_devstack.pg import drop_database, ensure_database
from pathwise_devstack.stack import Infrastructure, start_infrastructure
from pathwise_runtime import migrations
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.projection import Delivered, Projection
from pathwise_runtime.projector import Projector
from pathwise_runtime.service import open_pool, tune_gc
from pathwise_runtime.settings import ServiceSettings
from pathwise_runtime.tally import SCHEMA as TALLY_SCHEMA
from pathwise_runtime.tally import Tally
from pathwise_runtime.topics import ensure_topics, is_control

DEFAULT_EVENTS = 200_000
STUDENTS = 10_000
PARTITIONS = 12
RAW_BATCH = 5_000
PROJECTOR_MAX_RECORDS = 5_000
RATIO_TARGET = 0.5
STALL_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.05
DEFAULT_OUT = Path("bench") / "results" / "latest.json"
SEED = 20_260_901

# Used when path-svc's framework cannot be loaded; codes in the framework's style.
FALLBACK_COMPETENCIES = (
    "3.OA.A.1",
    "3.OA.A.2",
    "3.OA.A.3",
    "3.NF.A.1",
    "3.NF.A.2",
    "3.MD.A.1",
    "3.G.A.1",
    "3.NBT.A.1",
)

RAW_TABLE = """
CREATE TABLE bench_raw_effects (
    event_id   uuid   NOT NULL,
    student_id text   NOT NULL,
    topic      text   NOT NULL,
    partition  int    NOT NULL,
    "offset"   bigint NOT NULL
)
"""
RAW_COLUMNS = ["event_id", "student_id", "topic", "partition", "offset"]

Progress = Callable[[str], None]


class BenchError(RuntimeError):
    """A measure could not complete (stalled, or its setup failed)."""


def register(subparsers: Any) -> None:
    """Add the `bench` parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "bench", help="measure projection throughput against the raw consume+COPY limit"
    )
    parser.add_argument(
        "--events",
        type=int,
        default=DEFAULT_EVENTS,
        help=f"events to produce and consume (default {DEFAULT_EVENTS:,})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"where to write the JSON results (default {DEFAULT_OUT})",
    )
    parser.add_argument("--json", action="store_true", help="print the JSON results on stdout")
    parser.add_argument(
        "--e2e-rate", type=float, default=200.0, help="results/s for the end-to-end latency run"
    )
    parser.add_argument(
        "--e2e-seconds", type=float, default=15.0, help="length of the latency run (0 skips it)"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="state dir parent (default: .)")
    parser.set_defaults(handler=run)


# ---------------------------------------------------------------------------
# The workload


@dataclass(frozen=True)
class Workload:
    """The messages every measure reads: produced once, consumed by each."""

    topic: Topic
    messages: list[tuple[bytes, bytes]]
    competencies: tuple[str, ...]
    competencies_from: str

    @property
    def events(self) -> int:
        return len(self.messages)

    @property
    def mean_value_bytes(self) -> float:
        return sum(len(v) for _, v in self.messages) / max(1, len(self.messages))


def build_workload(
    events: int, competencies: Sequence[str], competencies_from: str, *, students: int = STUDENTS
) -> Workload:
    """N AssessmentRecorded envelopes keyed by student id, pre-serialised."""
    rng = random.Random(SEED)
    topic = Topic(
        f"bench.assessment.{secrets.token_hex(4)}.v1", partitions=PARTITIONS, retention_ms=FOREVER
    )
    start = datetime(2026, 9, 1, 8, tzinfo=UTC)
    messages: list[tuple[bytes, bytes]] = []
    for n in range(events):
        student = f"s{rng.randrange(students):05d}"
        max_score = 4.0
        event = AssessmentRecorded(
            assessment_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            student_id=student,
            competency_id=rng.choice(competencies),
            score=float(rng.randint(0, 4)),
            max_score=max_score,
            occurred_at=start + timedelta(seconds=n),
            source="bench",
            source_id=str(n),
        )
        envelope = Envelope.wrap(
            event,
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            source="urn:pathwise:bench",
            district_id="d1",
            time=event.occurred_at,
        )
        messages.append((student.encode(), envelope.to_bytes()))
    return Workload(topic, messages, tuple(competencies), competencies_from)


# ---------------------------------------------------------------------------
# path-svc discovery (it may not exist yet, or have no projection yet)


@dataclass
class PathService:
    spec: Any
    competencies: tuple[str, ...] | None
    framework_problem: str | None


def competency_codes(items: Any) -> tuple[str, ...]:
    """Competency ids from whatever shape a framework exposes them in."""
    if isinstance(items, Mapping):
        return tuple(str(k) for k in items)
    codes: list[str] = []
    for item in items:
        if isinstance(item, str):
            codes.append(item)
            continue
        for attribute in ("code", "id", "competency_id"):
            value = getattr(item, attribute, None)
            if isinstance(value, str) and value:
                codes.append(value)
                break
    return tuple(codes)


def discover_path_service() -> PathService | str:
    """path-svc's SPEC and its framework's competency ids, or why they are unavailable."""
    try:
        spec = entrypoints.service_spec("path-svc")
    except Exception as exc:
        return f"path-svc's service entry point is unavailable: {type(exc).__name__}: {exc}"
    if not callable(getattr(spec, "projections", None)):
        return "path-svc's SPEC has no projections"
    try:
        framework = entrypoints.default_framework()
        codes = competency_codes(framework.competencies)
    except Exception as exc:
        return PathService(spec, None, f"{type(exc).__name__}: {exc}")
    if not codes:
        return PathService(spec, None, "the default framework lists no competencies")
    return PathService(spec, codes, None)


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


def _rate(events: int, seconds: float) -> dict[str, Any]:
    return {
        "events": events,
        "seconds": round(seconds, 3),
        "events_per_s": round(events / seconds, 1) if seconds > 0 else 0.0,
    }


async def measure_produce(bootstrap: str, workload: Workload) -> dict[str, Any]:
    """aiokafka producer throughput, keyed, with lingering batches."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks=1,
        linger_ms=5,
        max_batch_size=256 * 1024,
        enable_idempotence=False,
    )
    await producer.start()
    try:
        topic = workload.topic.name
        started = time.perf_counter()
        futures = [await producer.send(topic, value, key=key) for key, value in workload.messages]
        await asyncio.gather(*futures)
        elapsed = time.perf_counter() - started
    finally:
        await producer.stop()
    return {**_rate(workload.events, elapsed), "acks": 1, "linger_ms": 5, "max_batch_bytes": 262144}


async def measure_raw_limit(bootstrap: str, dsn: str, workload: Workload) -> dict[str, Any]:
    """Consume without a group + json.loads + COPY, one transaction per RAW_BATCH events."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(RAW_TABLE)
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        started = time.perf_counter()
        await consumer.start()
        try:
            partitions = [
                TopicPartition(workload.topic.name, p) for p in range(workload.topic.partitions)
            ]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            copied, transactions = 0, 0
            pending: list[tuple[str, str, str, int, int]] = []
            stall = _Stall("raw limit")
            while copied < workload.events:
                fetched = await consumer.getmany(
                    timeout_ms=200, max_records=RAW_BATCH - len(pending)
                )
                for records in fetched.values():
                    for record in records:
                        if is_control(record):
                            continue
                        body = json.loads(record.value or b"")
                        pending.append(
                            (
                                body["id"],
                                body["subject"],
                                record.topic,
                                record.partition,
                                record.offset,
                            )
                        )
                if len(pending) >= RAW_BATCH or copied + len(pending) >= workload.events:
                    async with conn.transaction():
                        await conn.copy_records_to_table(
                            "bench_raw_effects", records=pending, columns=RAW_COLUMNS
                        )
                    copied += len(pending)
                    transactions += 1
                    pending = []
                stall.check(copied + len(pending), workload.events)
            elapsed = time.perf_counter() - started
        finally:
            await consumer.stop()
        rows = await conn.fetchval("SELECT count(*) FROM bench_raw_effects")
    finally:
        await conn.close()
    if rows != workload.events:
        raise BenchError(f"raw limit: {rows} rows copied, expected {workload.events}")
    return {**_rate(copied, elapsed), "transactions": transactions, "batch": RAW_BATCH}


class _Stall:
    """Gives up on a measure that made no progress for STALL_TIMEOUT_S."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._count = -1
        self._since = time.monotonic()

    def check(self, count: int, total: int, detail: str = "") -> None:
        now = time.monotonic()
        if count != self._count:
            self._count, self._since = count, now
        elif now - self._since > STALL_TIMEOUT_S:
            extra = f" ({detail})" if detail else ""
            raise BenchError(
                f"{self._what}: no progress for {STALL_TIMEOUT_S:.0f}s at {count}/{total}{extra}"
            )


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
        stall = _Stall(what)
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
    from_start = _rate(events, finished - started)
    return {
        **_rate(events, finished - assigned),
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


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _ratio(result: Mapping[str, Any], raw: Mapping[str, Any]) -> float:
    return round(float(result["events_per_s"]) / float(raw["events_per_s"]), 3)


def _add_ratios(result: dict[str, Any], raw: Mapping[str, Any]) -> None:
    result["ratio_to_raw"] = _ratio(result, raw)
    result["ratio_to_raw_from_start"] = round(
        float(result["events_per_s_from_start"]) / float(raw["events_per_s"]), 3
    )
    result["meets_target"] = result["ratio_to_raw"] >= RATIO_TARGET


async def measure(
    infra: Infrastructure, events: int = DEFAULT_EVENTS, progress: Progress | None = None
) -> dict[str, Any]:
    """Produce once, then run every measure over the same messages; returns the report."""
    say = progress or (lambda _: None)
    bootstrap = infra.bootstrap_servers
    path = discover_path_service()
    if isinstance(path, PathService) and path.competencies:
        competencies, origin = path.competencies, "path-svc default framework"
    else:
        competencies, origin = FALLBACK_COMPETENCIES, "built-in list"
    say(f"generating {events:,} events")
    workload = build_workload(events, competencies, origin)
    tag = workload.topic.name.split(".")[2]
    databases: list[str] = []

    async def new_database(purpose: str) -> str:
        name = f"{infra.database_prefix}bench_{tag}_{purpose}"
        await ensure_database(infra.admin_dsn, name)
        databases.append(name)
        return infra.make_dsn(name)

    results: dict[str, Any] = {}
    try:
        await ensure_topics(bootstrap, [workload.topic])
        say(f"produce: {events:,} events to {workload.topic.name}")
        results["produce"] = await measure_produce(bootstrap, workload)
        say("raw limit: consume + json.loads + COPY")
        raw = await measure_raw_limit(bootstrap, await new_database("raw"), workload)
        results["raw_limit"] = raw
        results["produce"]["ratio_to_raw"] = _ratio(results["produce"], raw)
        say("runtime projector: Projector + BatchApplier + Tally")
        runtime = await measure_runtime_projector(
            bootstrap, await new_database("runtime"), workload
        )
        _add_ratios(runtime, raw)
        results["runtime_projector"] = runtime
        if isinstance(path, str):
            say(f"path-svc projector: not available ({path})")
            results["path_projector"] = {"skipped": path}
        else:
            say("path-svc projector")
            try:
                result = await measure_path_projector(
                    bootstrap, await new_database("path"), workload, path
                )
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                say(f"path-svc projector: not available ({reason})")
                results["path_projector"] = {"skipped": reason}
            else:
                _add_ratios(result, raw)
                if path.framework_problem:
                    result["framework_problem"] = path.framework_problem
                results["path_projector"] = result
    finally:
        await _cleanup(infra, databases, workload.topic.name)
    return {
        "machine": machine(),
        "stack": {
            "postgres": "embedded" if infra.embedded_postgres else "external",
            "broker": "embedded" if infra.embedded_broker else "external",
        },
        "events": events,
        "workload": {
            "type": AssessmentRecorded.type,
            "topic_partitions": PARTITIONS,
            "students": STUDENTS,
            "mean_value_bytes": round(workload.mean_value_bytes, 1),
            "competencies": len(workload.competencies),
            "competencies_from": workload.competencies_from,
        },
        "results": results,
        "targets": {
            "runtime_projector_ratio_min": RATIO_TARGET,
            "path_projector_ratio_min": RATIO_TARGET,
        },
    }


async def _cleanup(infra: Infrastructure, databases: Iterable[str], topic: str) -> None:
    """Drop what the run created; a failure here must not hide the run's own error."""
    for name in databases:
        with contextlib.suppress(Exception):
            await drop_database(infra.admin_dsn, name)
    if infra.embedded_broker:
        return  # the broker and its in-memory log go away with the stack
    with contextlib.suppress(Exception):
        admin = AIOKafkaAdminClient(bootstrap_servers=infra.bootstrap_servers)
        await admin.start()
        try:
            await admin.delete_topics([topic])
        finally:
            await admin.close()


# ---------------------------------------------------------------------------
# Output


ROWS = (
    ("produce", "produce (aiokafka)"),
    ("raw_limit", "raw limit (consume + json + COPY)"),
    ("runtime_projector", "runtime projector (Tally)"),
    ("path_projector", "path-svc projector"),
)


def render_table(report: Mapping[str, Any]) -> Table:
    """The report as a rich table: one row per measure."""
    table = Table(title=f"pathwise bench: {report['events']:,} events", caption_justify="left")
    table.add_column("measure")
    table.add_column("events", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("events/s", justify="right")
    table.add_column("ratio to raw", justify="right")
    results = report["results"]
    for key, label in ROWS:
        row = results.get(key)
        if row is None:
            continue
        if "skipped" in row:
            table.add_row(label, "-", "-", "-", f"not available ({row['skipped']})")
            continue
        ratio = "1.00" if key == "raw_limit" else f"{row.get('ratio_to_raw', 0):.2f}"
        if "meets_target" in row:
            ratio += "  ok" if row["meets_target"] else f"  < {RATIO_TARGET:.2f}"
        table.add_row(
            label,
            f"{row['events']:,}",
            f"{row['seconds']:.2f}",
            f"{row['events_per_s']:,.0f}",
            ratio,
        )
    notes = [
        f"{label}: group join {row['group_join_seconds']:.2f}s; from start "
        f"{row['events_per_s_from_start']:,.0f} events/s, "
        f"ratio {row['ratio_to_raw_from_start']:.2f}"
        for key, label in ROWS
        if "group_join_seconds" in (row := results.get(key) or {})
    ]
    table.caption = "\n".join(
        [
            "projectors are timed from partition assignment to the last event applied",
            *notes,
            f"target: projector >= {RATIO_TARGET:.0%} of the raw limit (ARCHITECTURE.md section 8)",
        ]
    )
    return table


def write_report(report: Mapping[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")


def _forward_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM stops the run like Ctrl-C, so every cleanup path is the same."""
    signal.raise_signal(signal.SIGINT)


def run(args: argparse.Namespace) -> int:
    """Start the stack, measure, stop the stack; print and write the report."""
    console = Console(stderr=True)
    if args.events < 1:
        console.print("pathwise bench: --events must be at least 1")
        return 2
    workdir = (args.workdir or Path.cwd()).resolve()
    # Even when started with SIGINT ignored (a background job), both signals stop the run
    # through the same path: asyncio.run cancels `measure`, whose cleanup runs, then the
    # stack stops.
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
        previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, _forward_sigterm)
    try:
        console.print("pathwise bench: starting the infrastructure")
        with start_infrastructure(workdir, services=(), create_topics=False) as infra:
            report = asyncio.run(
                measure(infra, args.events, lambda m: console.print(f"pathwise bench: {m}"))
            )
        if args.e2e_seconds > 0:
            console.print(
                f"pathwise bench: end-to-end latency at {args.e2e_rate:g} results/s "
                f"for {args.e2e_seconds:g} s (all four services as processes)"
            )
            report["results"]["end_to_end"] = latency.measure_in_fresh_platform(
                args.e2e_rate, args.e2e_seconds
            )
    except KeyboardInterrupt:
        console.print("pathwise bench: interrupted; everything it started is stopped")
        return 130
    except BenchError as error:
        console.print(f"pathwise bench: {error}")
        return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    write_report(report, args.out)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        Console().print(render_table(report))
        e2e = report["results"].get("end_to_end")
        if e2e:
            Console().print(
                f"end to end (HTTP ingest → email) at {e2e['rate_achieved_per_s']} results/s: "
                f"p50 {e2e['p50_ms']} ms, p99 {e2e['p99_ms']} ms "
                f"(target p99 < {e2e['target_p99_ms']:g} ms, ratio {e2e['ratio_to_target']})"
            )
    console.print(f"pathwise bench: results written to {args.out}")
    return 0
