"""The replay rows: N events of each service's input topics rebuilt into a fresh database.

Per service, what `pathwise replay` runs (``verification.replay_service``): the
service's migrations on a fresh database, its SPEC's projections built on a
`Runtime`, one horizon snapshot (``replay.end_offsets``) and ``replay.rebuild``
of every projection in turn. Two differences, both outside the timed code: the
events sit on bench copies of the topics (so a shared broker's real topics are
never written), which each projection reads under the real names
(`OnBenchTopics`); and the events are produced after the migrations and before
the replay, so production is not timed. ``seconds`` = migrations + replay.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import murmur2
from faststream.kafka import KafkaBroker
from pydantic import SecretStr

from pathwise_contracts import TOPICS, Envelope, Topic
from pathwise_contracts.topics import FOREVER
from pathwise_devstack import entrypoints
from pathwise_devstack.commands.bench.replay_log import Message, messages
from pathwise_devstack.commands.bench.replay_mixes import MIXES
from pathwise_devstack.commands.bench.workload import Progress, rate
from pathwise_devstack.pg import drop_database, ensure_database
from pathwise_devstack.stack import Infrastructure
from pathwise_runtime import replay
from pathwise_runtime.outbox import OutboxRelay
from pathwise_runtime.projection import Delivered, Projection
from pathwise_runtime.service import Runtime, open_pool, prepare_database
from pathwise_runtime.settings import ServiceSettings
from pathwise_runtime.topics import ensure_topics

DEFAULT_REPLAY_EVENTS = 1_000_000
TARGET_SECONDS = 60.0
TARGET_EVENTS = 1_000_000
"""The target is 60 s for a million events; another N is judged on 60 s x N / 1M."""
SERVICES = ("assessment-svc", "profile-svc", "path-svc", "notify-svc")
BATCH_BYTES = 512 * 1024  # one produce request per partition batch
IN_FLIGHT = 64  # batches awaiting their ack before more are built: bounds memory
PARTITIONS = {t.name: t.partitions for t in TOPICS}


class OnBenchTopics:
    """A service projection, unchanged, reading bench copies of its topics.

    It sees every record under the real topic's name, since projections tell
    their inputs apart by topic.
    """

    def __init__(self, inner: Projection, copies: Mapping[str, str]) -> None:
        self._inner = inner
        self.name = inner.name
        self.tables = tuple(inner.tables)
        self.topics = tuple(copies[t] for t in inner.topics)
        self._real = {copy: real for real, copy in copies.items()}

    async def apply(
        self, conn: asyncpg.Connection, batch: Sequence[Delivered]
    ) -> Sequence[Envelope]:
        real = self._real
        renamed = [
            Delivered(d.envelope, d.event, real[d.topic], d.partition, d.offset) for d in batch
        ]
        return await self._inner.apply(conn, renamed)


async def produce(
    bootstrap: str, stream: Iterable[Message], copies: Mapping[str, str]
) -> dict[str, Any]:
    """Keyed as the services produce (murmur2 of the student id), in big per-partition batches."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks=1,
        max_batch_size=BATCH_BYTES,
        max_request_size=4 * BATCH_BYTES,
        enable_idempotence=False,
    )
    await producer.start()
    partition_of: dict[tuple[str, bytes], int] = {}
    open_batches: dict[tuple[str, int], Any] = {}
    pending: list[Any] = []
    count = 0
    started = time.perf_counter()

    async def flush(where: tuple[str, int]) -> None:
        pending.append(
            await producer.send_batch(open_batches.pop(where), where[0], partition=where[1])
        )
        if len(pending) >= IN_FLIGHT:
            for future in pending:
                await future
            pending.clear()

    try:
        for topic, key, value in stream:
            copy = copies[topic]
            partition = partition_of.get((copy, key))
            if partition is None:
                partition = (murmur2(key) & 0x7FFFFFFF) % PARTITIONS.get(topic, 12)
                partition_of[(copy, key)] = partition
            where = (copy, partition)
            batch = open_batches.get(where)
            if batch is None:
                batch = open_batches[where] = producer.create_batch()
            if batch.append(key=key, value=value, timestamp=None) is None:  # full
                await flush(where)
                batch = open_batches[where] = producer.create_batch()
                batch.append(key=key, value=value, timestamp=None)
            count += 1
        for where in list(open_batches):
            await flush(where)
        for future in pending:
            await future
        elapsed = time.perf_counter() - started
    finally:
        await producer.stop()
    return rate(count, elapsed)


async def measure_replay(
    infra: Infrastructure,
    service: str,
    events: int,
    competencies: Sequence[str],
    progress: Progress | None = None,
) -> dict[str, Any]:
    """One service's row: {"skipped": why} when it cannot be loaded or set up."""
    say = progress or (lambda _: None)
    try:
        spec = entrypoints.service_spec(service)
    except Exception as exc:
        return {"skipped": f"{service} cannot be loaded: {type(exc).__name__}: {exc}"}
    tag = secrets.token_hex(3)
    database = f"{infra.database_prefix}bench_replay_{service.replace('-', '_')}_{tag}"
    await ensure_database(infra.admin_dsn, database)
    dsn = infra.make_dsn(database)
    copies: dict[str, str] = {}
    try:
        started = time.perf_counter()
        await prepare_database(dsn, spec.migrations)
        migrated = time.perf_counter() - started
        pool = await open_pool(dsn, min_size=1, max_size=replay.POOL_SIZE)
        try:
            settings = ServiceSettings(
                SERVICE_NAME=service,
                DATABASE_URL=dsn,
                KAFKA_BOOTSTRAP_SERVERS=infra.bootstrap_servers,
            )
            settings = settings.model_copy(update={"auth_dev_secret": SecretStr(infra.dev_secret)})
            runtime = Runtime(
                settings,
                pool,
                KafkaBroker(infra.bootstrap_servers),
                OutboxRelay(pool, dsn, infra.bootstrap_servers),
            )
            inner = list(spec.projections(runtime))
            real = sorted({t for p in inner for t in p.topics})
            copies = {t: f"bench.replay.{tag}.{t}" for t in real}
            await ensure_topics(
                infra.bootstrap_servers,
                [
                    Topic(copies[t], partitions=PARTITIONS.get(t, 12), retention_ms=FOREVER)
                    for t in real
                ],
            )
            mix = MIXES[service]
            say(f"replay {service}: producing {events:,} events ({mix.about})")
            produced = await produce(
                infra.bootstrap_servers, _only(messages(mix, events, competencies), copies), copies
            )
            say(f"replay {service}: rebuilding {', '.join(p.name for p in inner)}")
            row = await _replay(
                replay.stages([OnBenchTopics(p, copies) for p in inner], spec.replay_stages),
                pool,
                infra.bootstrap_servers,
                migrated,
                produced["events"],
            )
        finally:
            await pool.close()
    except Exception as exc:
        return {"skipped": f"{service}: {type(exc).__name__}: {exc}"}
    finally:
        with contextlib.suppress(Exception):
            await drop_database(infra.admin_dsn, database)
        await _delete_topics(infra, list(copies.values()))
    return {
        **row,
        "produce_seconds": produced["seconds"],
        "topics": real,
        "mix": mix.about,
    }


def _only(stream: Iterable[Message], copies: Mapping[str, str]) -> Iterable[Message]:
    """A mix names only topics the service reads; anything else is a bug in the mix."""
    for message in stream:
        if message[0] not in copies:
            raise LookupError(f"the mix writes {message[0]}, which no projection reads")
        yield message


async def _replay(
    groups: Sequence[Sequence[Projection]],
    pool: asyncpg.Pool,
    bootstrap: str,
    migrated: float,
    events: int,
) -> dict[str, Any]:
    """`verification.replay_service`'s rebuild, timed per projection."""
    projections = [p for group in groups for p in group]
    started = time.perf_counter()
    horizon = await replay.end_offsets(
        bootstrap, sorted({t for p in projections for t in p.topics})
    )
    done = await replay.rebuild_all(groups, pool, bootstrap, horizon)
    replayed = time.perf_counter() - started
    per = {
        p.name: {"records": done[p.name].records, "seconds": round(done[p.name].seconds, 3)}
        for p in projections
    }
    dead, emitted = await _outbox(pool)
    rows = {t: await _count(pool, t) for p in projections for t in p.tables}
    total = migrated + replayed
    target = target_seconds(events)
    row = {
        **rate(events, total),
        "migrate_seconds": round(migrated, 3),
        "replay_seconds": round(replayed, 3),
        "records_applied": sum(v["records"] for v in per.values()),
        "projections": per,
        "dead_lettered": dead,
        "emitted": emitted,
        "rows": rows,
        "target_seconds": target,
        "target_scaled": events != TARGET_EVENTS,
        "meets_target": total <= target,
    }
    if dead:
        row["warning"] = (
            f"{dead} records were dead-lettered, not applied; "
            "the figure overstates the replay's real throughput"
        )
    return row


def target_seconds(events: int) -> float:
    """The target scaled to ``events`` (linearly, so optimistic below a million:
    a bigger log also means bigger tables and a higher cost per event)."""
    return round(TARGET_SECONDS * events / TARGET_EVENTS, 3)


async def _count(pool: asyncpg.Pool, table: str) -> int:
    return int(await pool.fetchval(f'SELECT count(*) FROM "{table}"'))


async def _outbox(pool: asyncpg.Pool) -> tuple[int, int]:
    """(dead letters, derived events) the replay left in the outbox (no relay runs)."""
    row = await pool.fetchrow(
        """SELECT count(*) FILTER (WHERE topic LIKE '%.dlq') AS dead,
                  count(*) FILTER (WHERE topic NOT LIKE '%.dlq') AS emitted
             FROM pathwise_outbox"""
    )
    assert row is not None
    return int(row["dead"]), int(row["emitted"])


async def _delete_topics(infra: Infrastructure, names: list[str]) -> None:
    """Free the broker's (in-memory) log before the next service's million events."""
    if not names:
        return
    with contextlib.suppress(Exception):
        admin = AIOKafkaAdminClient(bootstrap_servers=infra.bootstrap_servers)
        await admin.start()
        try:
            await admin.delete_topics(names)
        finally:
            await admin.close()


async def measure_replays(
    infra: Infrastructure,
    events: int,
    competencies: Sequence[str],
    progress: Progress | None = None,
    services: Sequence[str] = SERVICES,
) -> dict[str, Any]:
    """results.replay: one row per service, each on its own fresh database and topics."""
    return {s: await measure_replay(infra, s, events, competencies, progress) for s in services}
