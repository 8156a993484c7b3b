"""Transactional outbox: events leave a service only after its state committed.

A service writes the events it derives into ``pathwise_outbox`` inside the
transaction that changes its state. The relay publishes pending rows in
sequence order (so per key too) and marks them. A crash between publish and
mark re-publishes the same rows with the same deterministic event ids;
consumers de-duplicate by event id, so the effect is still exactly once.

The relay never stops for good: any error (the broker or the database away)
is logged, counted and retried with backoff, and ``problem`` says why until a
batch goes out again (``/readyz`` reports it). A row the broker refuses for
good (too large) moves to ``pathwise_outbox_dead`` with the reason, so it never
blocks the rows behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError
from opentelemetry.trace import Span

from pathwise_contracts import EVENT_TYPES, Envelope, UnknownEventType
from pathwise_runtime import metrics, telemetry

log = logging.getLogger(__name__)

CHANNEL = "pathwise_outbox"
_RELAY_LOCK = 0x6F757462  # "outb": one relay per service database publishes
MAX_BACKOFF_S = 30.0
# What the broker will never take however often it is sent.
REFUSED_FOR_GOOD = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    event_id: str
    topic: str
    key: str
    payload: bytes
    headers: list[tuple[str, str]]


def message_for(topic: str, envelope: Envelope) -> OutboxMessage:
    event_id = str(envelope.id)
    headers = [("ce_type", envelope.type), ("ce_id", event_id)]
    if envelope.traceparent:
        headers.append(("traceparent", envelope.traceparent))
    if envelope.tracestate:
        headers.append(("tracestate", envelope.tracestate))
    return OutboxMessage(event_id, topic, envelope.subject, envelope.to_bytes(), headers)


async def add(conn: asyncpg.Connection, messages: Sequence[OutboxMessage]) -> int:
    """Queue messages in the caller's transaction; returns how many were new.

    A message whose event id is already queued is a re-derivation of the same
    fact and is dropped here, which is what makes command retries idempotent.
    """
    if not messages:
        return 0
    # The relay's wake-up rides in the same statement (one round trip, not two),
    # sent only when a row was new; Postgres delivers it when the transaction commits.
    inserted = await conn.fetchval(
        """WITH new AS (
               INSERT INTO pathwise_outbox (event_id, topic, key, payload, headers)
               SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[],
                                    $5::jsonb[])
               ON CONFLICT (event_id) DO NOTHING
               RETURNING seq)
           SELECT c.n, (SELECT count(*) FROM (SELECT pg_notify($6, '') WHERE c.n > 0) AS w)
             FROM (SELECT count(*) AS n FROM new) AS c""",
        [m.event_id for m in messages],
        [m.topic for m in messages],
        [m.key for m in messages],
        [m.payload for m in messages],
        [json.dumps(m.headers) for m in messages],
        CHANNEL,
    )
    return int(inserted)


def topic_of(envelope: Envelope) -> str:
    """The topic an envelope's event type is published on (no re-validation of data)."""
    try:
        return EVENT_TYPES[envelope.type].topic
    except KeyError:
        raise UnknownEventType(f"no topic for event type {envelope.type!r}") from None


async def add_events(conn: asyncpg.Connection, envelopes: Sequence[Envelope]) -> int:
    """Queue CloudEvents on the topic their event type belongs to.

    An event without trace context takes the current span's (the HTTP request
    that commands it), so its trace continues through every consumer.
    """
    trace = telemetry.current_trace_headers()
    if trace:
        envelopes = [_traced(e, trace) for e in envelopes]
    return await add(conn, [message_for(topic_of(e), e) for e in envelopes])


def _traced(envelope: Envelope, trace: dict[str, str]) -> Envelope:
    if envelope.traceparent:
        return envelope
    return envelope.model_copy(
        update={"traceparent": trace["traceparent"], "tracestate": trace.get("tracestate")}
    )


class OutboxRelay:
    """Publishes the outbox in order; one active relay per database."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        dsn: str,
        bootstrap_servers: str,
        *,
        enable_idempotence: bool = False,
        kafka_options: Mapping[str, Any] | None = None,
        service: str = "pathwise",
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        keep_published_s: float = 3600.0,
        producer_factory: Callable[..., AIOKafkaProducer] = AIOKafkaProducer,
    ) -> None:
        self._pool = pool
        self._dsn = dsn
        self._bootstrap = bootstrap_servers
        self._idempotence = enable_idempotence
        self._kafka_options = dict(kafka_options or {})
        self._batch_size = batch_size
        self._poll = poll_interval_s
        self._keep = keep_published_s
        self._producer_factory = producer_factory
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self.dead = 0
        self.problem: str | None = None
        """Why the relay cannot publish right now; None while it can."""
        self._service = service
        self._published_total = metrics.OUTBOX_PUBLISHED.labels(service)
        self._up = metrics.RELAY_UP.labels(service)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        backoff = self._poll
        self._up.set(1)
        while not self._stopping.is_set():
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # whatever it is, the rows wait: retry, say why
                if self.problem is None:
                    backoff = self._poll
                self.problem = f"{type(exc).__name__}: {exc}"
                self._up.set(0)
                metrics.RELAY_ERRORS.labels(self._service, type(exc).__name__).inc()
                log.warning(
                    "outbox relay cannot publish; retrying",
                    extra={"error": self.problem, "retry_in_s": backoff},
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    def _recovered(self) -> None:
        if self.problem is not None:
            log.info("outbox relay publishing again", extra={"after": self.problem})
            self.problem = None
            self._up.set(1)

    async def _lead(self) -> None:
        # A dedicated connection holds the leadership lock and listens for wake-ups.
        listener = await asyncpg.connect(self._dsn)
        try:
            while not await listener.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK):
                if await self._sleep(self._poll):
                    return
            await listener.add_listener(CHANNEL, lambda *_: self._wake.set())
            producer = self._producer_factory(
                bootstrap_servers=self._bootstrap,
                **self._kafka_options,
                acks="all",
                enable_idempotence=self._idempotence,
                linger_ms=2,
                max_batch_size=256 * 1024,
            )
            try:
                await producer.start()  # inside: a producer that failed to start is closed
                while not self._stopping.is_set():
                    # Clear before reading: a NOTIFY that lands while we publish must
                    # wake the next round, not be swallowed until the poll interval.
                    self._wake.clear()
                    sent = await self.publish_pending(producer)
                    self._recovered()
                    if sent < self._batch_size:
                        await self._sleep(self._poll)
            finally:
                with contextlib.suppress(Exception):  # the error that got us here matters
                    await producer.stop()
        finally:
            with contextlib.suppress(Exception):
                await listener.close()

    async def _sleep(self, seconds: float) -> bool:
        """Wait for a NOTIFY, the poll interval or stop; True when stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        return self._stopping.is_set()

    async def publish_pending(self, producer: AIOKafkaProducer) -> int:
        """Publish one batch of pending rows in sequence order, then mark them."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                """SELECT seq, topic, key, payload, headers FROM pathwise_outbox
                    WHERE published_at IS NULL ORDER BY seq LIMIT $1""",
                self._batch_size,
            )
            if not rows:
                await self._purge(conn)
                return 0
            with telemetry.span("outbox publish", {"messaging.batch.message_count": len(rows)}):
                refused = await self._send(producer, rows)
            async with conn.transaction():
                await self._bury(conn, refused)
                await self._mark(conn, [r["seq"] for r in rows if r["seq"] not in refused])
        self.published += len(rows) - len(refused)
        self._published_total.inc(len(rows) - len(refused))
        return len(rows)

    async def _bury(self, conn: asyncpg.Connection, refused: dict[int, str]) -> None:
        """Move rows the broker refused for good aside, with the reason."""
        if not refused:
            return
        moved = await conn.fetch(
            """WITH gone AS (DELETE FROM pathwise_outbox WHERE seq = ANY($1::bigint[])
                             RETURNING *)
               INSERT INTO pathwise_outbox_dead
                      (seq, event_id, topic, key, payload, headers, created_at, reason)
               SELECT g.seq, g.event_id, g.topic, g.key, g.payload, g.headers, g.created_at,
                      r.reason
                 FROM gone g JOIN unnest($1::bigint[], $2::text[]) AS r(seq, reason)
                      USING (seq)
               RETURNING topic, event_id, reason""",
            list(refused),
            list(refused.values()),
        )
        for row in moved:
            self.dead += 1
            metrics.OUTBOX_DEAD.labels(self._service, row["topic"]).inc()
            log.error(
                "outbox row refused by the broker, moved to pathwise_outbox_dead",
                extra={
                    "topic": row["topic"],
                    "event_id": str(row["event_id"]),
                    "reason": row["reason"],
                },
            )

    async def _send(self, producer: AIOKafkaProducer, rows: list[asyncpg.Record]) -> dict[int, str]:
        """Send the rows; the seqs the broker refuses for good, with why. Any other
        failure raises, and the whole batch goes again (consumers de-duplicate)."""
        tracing = telemetry.exporting()
        spans: list[Span] = []
        futures: list[tuple[int, asyncio.Future[Any]]] = []
        refused: dict[int, str] = {}
        for r in rows:
            headers: list[tuple[str, str]] = [(k, v) for k, v in json.loads(r["headers"])]
            if tracing:
                span, headers = telemetry.publish_span(r["topic"], headers)
                if span is not None:
                    spans.append(span)
            try:
                sent = await producer.send(
                    r["topic"],
                    bytes(r["payload"]),
                    key=r["key"].encode(),
                    headers=[(k, v.encode()) for k, v in headers],
                )
            except REFUSED_FOR_GOOD as exc:  # the client's own size check
                refused[r["seq"]] = f"{type(exc).__name__}: {exc}"
                continue
            futures.append((r["seq"], sent))
        try:
            results = await asyncio.gather(*(f for _, f in futures), return_exceptions=True)
        finally:
            for span in spans:
                span.end()
        for (seq, _), result in zip(futures, results, strict=True):
            if isinstance(result, REFUSED_FOR_GOOD):
                refused[seq] = f"{type(result).__name__}: {result}"
            elif isinstance(result, BaseException):
                raise result
        return refused

    async def _mark(self, conn: asyncpg.Connection, seqs: list[int]) -> None:
        await conn.execute(
            "UPDATE pathwise_outbox SET published_at = now() WHERE seq = ANY($1::bigint[])", seqs
        )

    async def _purge(self, conn: asyncpg.Connection) -> None:
        await conn.execute(
            """DELETE FROM pathwise_outbox WHERE published_at IS NOT NULL
                AND published_at < now() - make_interval(secs => $1)""",
            self._keep,
        )

    async def pending(self) -> int:
        async with self._pool.acquire() as conn:
            n = await conn.fetchval(
                "SELECT count(*) FROM pathwise_outbox WHERE published_at IS NULL"
            )
            return int(n)
