"""Rebuild projections from the log alone, and prove they equal the live ones.

This is the operational form of "the log is the truth": a projection is
replayed into a fresh database (same migrations, same ``apply`` code) from the
beginning of its topics up to a snapshot of their end offsets, then compared
with the live tables row for row once the live service has reached the same
offsets.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from pathwise_contracts import Envelope, Event
from pathwise_runtime import kafka_security, topics
from pathwise_runtime.applier import BatchApplier, Record
from pathwise_runtime.projection import Projection
from pathwise_runtime.topics import log_ends

log = logging.getLogger(__name__)

BATCH_SIZE = 5000
"""Records per transaction, as the live projectors apply them."""
PREFETCH = 2
"""Batches fetched ahead of the one being applied: bounds the memory they hold."""
POOL_SIZE = 6
"""Connections of a replay database's pool: at least one per projection of a stage."""
RETRIES = 5
"""Attempts at a batch whose transaction Postgres rolled back (a deadlock with a
concurrent projection's batch is resolved by rolling one of them back)."""


@dataclass
class TableDiff:
    table: str
    live_rows: int
    replayed_rows: int
    only_live: list[tuple[Any, ...]] = field(default_factory=list)
    only_replayed: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not self.only_live and not self.only_replayed


async def end_offsets(bootstrap: str, topics: Sequence[str]) -> dict[tuple[str, int], int]:
    """The end of every partition of ``topics`` right now: the replay's horizon."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, **kafka_security.client_options()
    )
    await consumer.start()
    try:
        tps = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(
                consumer.partitions_for_topic(topic) or await _partitions(consumer, topic)
            )
        ]
        ends = await log_ends(consumer, tps)
        return {(tp.topic, tp.partition): off for tp, off in ends.items()}
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    parts = consumer.partitions_for_topic(topic)
    if not parts:
        raise LookupError(f"topic {topic} does not exist")
    return set(parts)


@dataclass(frozen=True)
class Rebuilt:
    """One projection's rebuild: records applied and the seconds it took."""

    records: int
    seconds: float


def stages(
    projections: Sequence[Projection], order: Sequence[Sequence[str]] = ()
) -> list[list[Projection]]:
    """The projections grouped as ``order`` names them (``ServiceSpec.replay_stages``).

    Without an order, one stage per projection, in their own order. An order must
    name every projection exactly once: a forgotten one would silently not be rebuilt.
    """
    if not order:
        return [[p] for p in projections]
    by_name = {p.name: p for p in projections}
    named = [name for stage in order for name in stage]
    if sorted(named) != sorted(by_name):
        raise ValueError(
            f"replay stages {list(map(list, order))} must name each of {sorted(by_name)} once"
        )
    return [[by_name[name] for name in stage] for stage in order]


async def rebuild_all(
    groups: Sequence[Sequence[Projection]],
    pool: asyncpg.Pool,
    bootstrap: str,
    horizon: dict[tuple[str, int], int],
    *,
    batch_size: int = BATCH_SIZE,
) -> dict[str, Rebuilt]:
    """Rebuild stage after stage, the projections of one stage concurrently.

    Projections of a stage own disjoint tables and watermarks, so running them
    together only overlaps one's work in this process with another's wait on
    Postgres; a projection that reads another's tables belongs to a later stage.
    """
    done: dict[str, Rebuilt] = {}
    for group in groups:
        done.update(await _rebuild_stage(group, pool, bootstrap, horizon, batch_size))
    return done


async def rebuild(
    projection: Projection,
    pool: asyncpg.Pool,
    bootstrap: str,
    horizon: dict[tuple[str, int], int],
    *,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Apply every record below ``horizon`` of the projection's topics; returns the count."""
    done = await _rebuild_stage([projection], pool, bootstrap, horizon, batch_size)
    return done[projection.name].records


async def _rebuild_stage(
    group: Sequence[Projection],
    pool: asyncpg.Pool,
    bootstrap: str,
    horizon: dict[tuple[str, int], int],
    batch_size: int,
) -> dict[str, Rebuilt]:
    """One consumer for the stage, one apply loop per projection.

    The consumer reads every topic of the stage once, and a record several
    projections read is decoded once (``SharedParse``). It fetches while the
    batches are applied, at most ``PREFETCH`` batches ahead of the slowest
    projection; each projection still applies its batches one at a time, in
    log order, as the live projector does.
    """
    began = time.perf_counter()
    parse = SharedParse()
    loops = [_Loop(BatchApplier(p, pool, bootstrap, parse=parse)) for p in group]
    wanted = {t for p in group for t in p.topics}
    tps = [TopicPartition(t, p) for (t, p), end in horizon.items() if t in wanted and end > 0]
    if not tps:
        return {p.name: Rebuilt(0, 0.0) for p in group}
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_poll_records=batch_size,
        **kafka_security.client_options(),
    )
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        tasks = [asyncio.create_task(_fetch(consumer, tps, horizon, batch_size, loops, parse))]
        tasks += [asyncio.create_task(loop.run(began)) for loop in loops]
        try:
            await asyncio.gather(*tasks)  # the first failure, as itself
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await consumer.stop()
    return {loop.applier.projection.name: loop.done for loop in loops}


class SharedParse:
    """Decodes a record once for all the projections of a stage that read it.

    ``expect`` says how many will ask; the last one's ask forgets it, so what is
    kept is bounded by the batches in flight. A miss (one reader, a retried
    batch) decodes again: the same bytes give the same event.
    """

    def __init__(self) -> None:
        self._kept: dict[tuple[str, int, int], list[Any]] = {}

    def expect(self, record: Record, readers: int) -> None:
        if readers > 1:
            self._kept[(record.topic, record.partition, record.offset)] = [readers, None]

    def __call__(self, record: Record) -> tuple[Envelope, Event]:
        key = (record.topic, record.partition, record.offset)
        kept = self._kept.get(key)
        if kept is None:
            return Envelope.parse(record.value or b"")
        if kept[1] is None:
            kept[1] = Envelope.parse(record.value or b"")  # a failure is not kept
        kept[0] -= 1
        if kept[0] <= 0:
            del self._kept[key]
        return cast(tuple[Envelope, Event], kept[1])


class _Loop:
    """One projection's apply loop over the batches the stage's fetcher hands it."""

    def __init__(self, applier: BatchApplier) -> None:
        self.applier = applier
        self.topics = frozenset(applier.projection.topics)
        self.queue: asyncio.Queue[list[Record] | None] = asyncio.Queue(PREFETCH)
        self.pending: list[Record] = []
        self.done = Rebuilt(0, 0.0)

    async def run(self, began: float) -> None:
        """Seconds: from the stage's start to this projection's last batch applied."""
        while (batch := await self.queue.get()) is not None:
            await _apply(self.applier, batch)
            self.done = Rebuilt(self.done.records + len(batch), time.perf_counter() - began)


async def _fetch(
    consumer: AIOKafkaConsumer,
    tps: list[TopicPartition],
    horizon: dict[tuple[str, int], int],
    batch_size: int,
    loops: list[_Loop],
    parse: SharedParse,
) -> None:
    """Hand each loop the records below the horizon of its topics, ``batch_size`` at a
    time, then None."""
    remaining = set(tps)
    while remaining:
        fetched = await consumer.getmany(*remaining, timeout_ms=1000, max_records=batch_size)
        for tp, records in fetched.items():
            end = horizon[(tp.topic, tp.partition)]
            below = [r for r in records if r.offset < end]
            readers = [loop for loop in loops if tp.topic in loop.topics]
            if len(readers) > 1:
                for record in below:
                    if not topics.is_control(record):
                        parse.expect(record, len(readers))
            for loop in readers:
                loop.pending.extend(below)
            if records and records[-1].offset >= end - 1:
                remaining.discard(tp)
        for tp in list(remaining):
            if await consumer.position(tp) >= horizon[(tp.topic, tp.partition)]:
                remaining.discard(tp)
        for loop in loops:
            while len(loop.pending) >= batch_size or (not remaining and loop.pending):
                batch, loop.pending = loop.pending[:batch_size], loop.pending[batch_size:]
                await loop.queue.put(batch)
    for loop in loops:
        await loop.queue.put(None)


async def _apply(applier: BatchApplier, batch: list[Record]) -> None:
    """Apply one batch; a deadlock or serialization failure rolled it back whole: again."""
    for attempt in range(RETRIES):
        try:
            await applier.apply(batch)
            return
        except asyncpg.TransactionRollbackError:
            if attempt == RETRIES - 1:
                raise
            log.warning("replay batch rolled back, retrying", exc_info=True)
            await asyncio.sleep(0.1 * 2**attempt)


async def wait_until_caught_up(
    pool: asyncpg.Pool,
    projection: str,
    horizon: dict[tuple[str, int], int],
    topics: Sequence[str],
    *,
    timeout: float,
) -> None:
    """Wait for the live projection's watermarks to reach the replay horizon."""
    wanted = {k: end - 1 for k, end in horizon.items() if k[0] in topics and end > 0}
    async with asyncio.timeout(timeout):
        while True:
            async with pool.acquire() as conn:
                rows = await conn.fetch(
                    "SELECT topic, partition, last_offset FROM pathwise_watermarks"
                    " WHERE projection = $1",
                    projection,
                )
            marks = {(r["topic"], r["partition"]): r["last_offset"] for r in rows}
            if all(marks.get(k, -1) >= off for k, off in wanted.items()):
                return
            await asyncio.sleep(0.2)


async def compare(
    live: asyncpg.Pool, replayed: asyncpg.Pool, table: str, *, show: int = 5
) -> TableDiff:
    """Row-for-row comparison of one table in two databases (as multisets)."""
    query = f'SELECT * FROM "{table}"'
    async with live.acquire() as a, replayed.acquire() as b:
        left = [tuple(r.values()) for r in await a.fetch(query)]
        right = [tuple(r.values()) for r in await b.fetch(query)]
    left_count, right_count = Counter(map(repr, left)), Counter(map(repr, right))
    only_live = [r for r in left if right_count[repr(r)] < left_count[repr(r)]]
    only_replayed = [r for r in right if left_count[repr(r)] < right_count[repr(r)]]
    return TableDiff(table, len(left), len(right), only_live[:show], only_replayed[:show])
