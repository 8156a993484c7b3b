"""Apply a batch of records exactly once: the heart of every projector.

One Postgres transaction per batch holds the projection's writes, the events it
derives (outbox), the dead letters, the applied event ids and the watermarks.
Kafka is acknowledged only after it commits. So any crash either loses the
whole transaction (and Kafka redelivers) or keeps all of it (and the
redelivery is recognised by the watermark and skipped).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

import asyncpg
from aiokafka import ConsumerRecord

from pathwise_contracts import Envelope, Event
from pathwise_runtime import claims, metrics, outbox, telemetry, topics, watermarks
from pathwise_runtime.dlq import dlq_message
from pathwise_runtime.projection import Delivered, Projection

log = logging.getLogger(__name__)

Record: TypeAlias = "ConsumerRecord[bytes, bytes]"


@dataclass
class ApplierStats:
    batches: int = 0
    applied: int = 0
    skipped: int = 0
    dead_lettered: int = 0
    emitted: int = 0
    last_batch_ms: float = 0.0
    positions: dict[str, int] = field(default_factory=dict)


TRANSIENT: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # 08: the connection went
    asyncpg.InterfaceError,
    OSError,
    asyncpg.TransactionRollbackError,  # 40: serialization failure, deadlock
    asyncpg.InsufficientResourcesError,  # 53: out of connections, disk, memory
    asyncpg.OperatorInterventionError,  # 57: cancelled, shutting down, not yet up
    asyncpg.LockNotAvailableError,  # 55P03
)
"""Errors of the database, not of the record: the whole batch is retried (the
projector backs off), never a record dead-lettered for them."""


class BatchApplier:
    """Runs one projection over batches of raw Kafka records."""

    def __init__(
        self,
        projection: Projection,
        pool: asyncpg.Pool,
        bootstrap_servers: str,
        *,
        service: str = "pathwise",
        parse: Callable[[Record], tuple[Envelope, Event]] | None = None,
    ) -> None:
        self.projection = projection
        self._parse = parse or _parse
        self.service = service
        self._pool = pool
        self._bootstrap = bootstrap_servers
        self._verified: set[tuple[str, int]] = set()
        self.stats = ApplierStats()
        labels = (service, projection.name)
        self._batch_records = metrics.BATCH_RECORDS.labels(*labels)
        self._batch_seconds = metrics.BATCH_SECONDS.labels(*labels)
        self._outcomes = {
            o: metrics.RECORDS.labels(*labels, o) for o in ("applied", "skipped", "dead_lettered")
        }
        self._emitted = metrics.EMITTED.labels(*labels)

    async def watermarks(self, partitions: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """The last applied offset of each of these partitions that has one."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                """SELECT topic, partition, last_offset FROM pathwise_watermarks
                    WHERE projection = $1""",
                self.projection.name,
            )
        wanted = set(partitions)
        return {
            (r["topic"], r["partition"]): r["last_offset"]
            for r in rows
            if (r["topic"], r["partition"]) in wanted
        }

    def forget_assignment(self) -> None:
        """Partitions handed to us again are checked against the broker again."""
        self._verified.clear()

    async def apply(self, records: Sequence[Record]) -> None:
        """Apply one batch with the garbage collector paused.

        Decoding allocates objects that all stay alive until the batch ends and
        are then freed by reference counting (none is cyclic): a collection
        meanwhile only rescans them. It resumes once the batch's objects are gone.
        """
        collecting = gc.isenabled()
        gc.disable()
        try:
            await self._apply(records)
        finally:
            if collecting:
                gc.enable()

    async def _apply(self, records: Sequence[Record]) -> None:
        started = time.perf_counter()
        started_ns = time.time_ns()
        name = self.projection.name
        markers: dict[tuple[str, int], str] = {}
        partitions = sorted({(r.topic, r.partition) for r in records})
        await self._verify(partitions, records)
        tracing = telemetry.exporting()
        with telemetry.span(
            f"{name} apply", {"messaging.batch.message_count": len(records)}
        ) as batch:
            spans = telemetry.RecordSpans(name, batch, started_ns)
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    marks = await watermarks.load(conn, name, partitions)
                    for record in records:  # a new incarnation starts below the watermark
                        incarnation = topics.marker_incarnation(record)
                        if incarnation is not None:
                            _check_marker(record, incarnation, marks)
                            markers[(record.topic, record.partition)] = incarnation
                    fresh = watermarks.unapplied(records, marks)
                    delivered, dead = await claims.decode_and_claim(
                        conn,
                        name,
                        fresh,
                        lambda chunk: self._decode(chunk, spans if tracing else None),
                    )
                    with telemetry.deriving_from_causes():
                        emitted, poisoned = await self._apply_isolating_poison(conn, delivered)
                    emitted = spans.reparent(emitted)
                    dead.extend(dlq_message(_record_of(d, records), name, e) for d, e in poisoned)
                    await self._forget(conn, [d for d, _ in poisoned])
                    await outbox.add(
                        conn, [outbox.message_for(outbox.topic_of(e), e) for e in emitted]
                    )
                    await outbox.add(conn, dead)
                    high = watermarks.advance(marks, fresh)
                    await watermarks.store(conn, name, high, markers)
            except BaseException as exc:
                spans.end(error=exc)
                raise
            spans.end({d.envelope.id: e for d, e in poisoned})
        self._count(
            len(records), len(fresh), len(delivered) - len(poisoned), len(dead), len(emitted)
        )
        for (topic, partition), offset in high.items():
            self.stats.positions[f"{topic}[{partition}]"] = offset
        elapsed = time.perf_counter() - started
        self.stats.last_batch_ms = elapsed * 1000
        self._batch_records.observe(len(records))
        self._batch_seconds.observe(elapsed)
        for message in dead:
            headers = dict(message.headers)
            metrics.DEAD_LETTERS.labels(self.service, name, headers["dlq.original.topic"]).inc()
            # The reason stays on the DLQ record: a validation error quotes the input.
            log.error(
                "dead-lettered",
                extra={
                    "projection": name,
                    "headers": {k: v for k, v in headers.items() if k != "dlq.reason"},
                },
            )

    def _decode(
        self, fresh: Sequence[Record], spans: telemetry.RecordSpans | None
    ) -> tuple[list[Delivered], list[outbox.OutboxMessage]]:
        """Typed events of the records to apply; undecodable ones become dead letters."""
        delivered: list[Delivered] = []
        dead: list[outbox.OutboxMessage] = []
        for record in fresh:
            if topics.is_control(record):
                continue
            try:
                envelope, event = self._parse(record)
            except ValueError as exc:  # pydantic's ValidationError is a ValueError
                dead.append(dlq_message(record, self.projection.name, exc))
                continue
            delivered.append(
                Delivered(envelope, event, record.topic, record.partition, record.offset)
            )
            if spans is not None:
                spans.open(envelope, record, *_incoming_trace(record, envelope))
        return delivered, dead

    def _count(self, total: int, fresh: int, applied: int, dead: int, emitted: int) -> None:
        self.stats.batches += 1
        self.stats.skipped += total - fresh
        self.stats.applied += applied
        self.stats.dead_lettered += dead
        self.stats.emitted += emitted
        self._outcomes["skipped"].inc(total - fresh)
        self._outcomes["applied"].inc(applied)
        self._outcomes["dead_lettered"].inc(dead)
        self._emitted.inc(emitted)

    async def _forget(self, conn: asyncpg.Connection, poisoned: list[Delivered]) -> None:
        """A dead-lettered event was not applied: a redrive of it must be applied."""
        if poisoned:
            await conn.execute(
                """DELETE FROM pathwise_applied_events
                    WHERE projection = $1 AND event_id = ANY($2::uuid[])""",
                self.projection.name,
                [d.envelope.id for d in poisoned],
            )

    async def _apply_isolating_poison(
        self, conn: asyncpg.Connection, delivered: list[Delivered]
    ) -> tuple[list[Envelope], list[tuple[Delivered, Exception]]]:
        """Apply the batch in one savepoint; on failure, find the poison one by one."""
        if not delivered:
            return [], []
        try:
            async with conn.transaction():
                return list(await self.projection.apply(conn, delivered)), []
        except TRANSIENT:
            raise
        except Exception:  # the projection's own error: isolate the record
            log.warning("batch failed, isolating the poison record", exc_info=True)
        emitted: list[Envelope] = []
        poisoned: list[tuple[Delivered, Exception]] = []
        for item in delivered:
            try:
                async with conn.transaction():
                    emitted.extend(await self.projection.apply(conn, [item]))
            except TRANSIENT:
                raise
            except Exception as exc:
                poisoned.append((item, exc))
        return emitted, poisoned

    async def _verify(self, partitions: list[tuple[str, int]], records: Sequence[Record]) -> None:
        """Check, once per assignment, that our watermarks belong to this log."""
        todo = [p for p in partitions if p not in self._verified]
        if not todo:
            return
        async with self._pool.acquire() as conn:
            marks = await conn.fetch(
                """SELECT topic, partition, last_offset, incarnation FROM pathwise_watermarks
                    WHERE projection = $1""",
                self.projection.name,
            )
        known = {(r["topic"], r["partition"]): r for r in marks}
        check = [p for p in todo if p in known]
        if check:
            logs = await topics.inspect(self._bootstrap, check)
            for key in check:
                row = known[key]
                problem = topics.identity_problem(
                    key[0], key[1], row["last_offset"], row["incarnation"], logs[key]
                )
                if problem:
                    raise topics.TopicIdentityError(problem)
        self._verified.update(todo)


def _parse(record: Record) -> tuple[Envelope, Event]:
    return Envelope.parse(record.value or b"")


def _check_marker(record: Record, incarnation: str, marks: watermarks.Watermarks) -> None:
    mark = marks.get((record.topic, record.partition))
    if mark is not None and mark.incarnation and mark.incarnation != incarnation:
        raise topics.TopicIdentityError(
            f"{record.topic}[{record.partition}] was recreated: watermark on incarnation "
            f"{mark.incarnation}, the log now starts incarnation {incarnation}; "
            "rebuild with `pathwise replay`"
        )


def _record_of(item: Delivered, records: Sequence[Record]) -> Record:
    for record in records:
        if (record.topic, record.partition, record.offset) == (
            item.topic,
            item.partition,
            item.offset,
        ):
            return record
    raise LookupError(f"{item.topic}[{item.partition}]@{item.offset} not in batch")


def _incoming_trace(record: Record, envelope: Envelope) -> tuple[str | None, str | None]:
    """The producer's trace context: Kafka headers first (any W3C producer), then the envelope."""
    parent = state = None
    for key, value in record.headers or ():
        if key == "traceparent":
            parent = value.decode("latin-1")
        elif key == "tracestate":
            state = value.decode("latin-1")
    if parent is None:
        return envelope.traceparent, envelope.tracestate
    return parent, state
