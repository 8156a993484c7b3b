"""Transactional outbox: events leave a service only after its state committed.

A service writes the events it derives into ``pathwise_outbox`` inside the
transaction that changes its state. The relay publishes pending rows in
sequence order (so per key too) and marks them. A crash between publish and
mark re-publishes the same rows with the same deterministic event ids;
consumers de-duplicate by event id, so the effect is still exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry.trace import Span

from pathwise_contracts import EVENT_TYPES, Envelope, UnknownEventType
from pathwise_runtime import metrics, telemetry

log = logging.getLogger(__name__)

CHANNEL = "pathwise_outbox"
_RELAY_LOCK = 0x6F757462  # "outb": one relay per service database publishes


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    event_id: str
    topic: str
    key: str
    payload: bytes
    headers: list[tuple[str, str]]


def message_for(topic: str, envelope: Envelope) -> OutboxMessage:
    headers = [("ce_type", envelope.type), ("ce_id", str(envelope.id))]
    if envelope.traceparent:
        headers.append(("traceparent", envelope.traceparent))
    if envelope.tracestate:
        headers.append(("tracestate", envelope.tracestate))
    return OutboxMessage(str(envelope.id), topic, envelope.subject, envelope.to_bytes(), headers)


async def add(conn: asyncpg.Connection, messages: Sequence[OutboxMessage]) -> int:
    """Queue messages in the caller's transaction; returns how many were new.

    A message whose event id is already queued is a re-derivation of the same
    fact and is dropped here, which is what makes command retries idempotent.
    """
    if not messages:
        return 0
    inserted = await conn.fetch(
        """INSERT INTO pathwise_outbox (event_id, topic, key, payload, headers)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::jsonb[])
           ON CONFLICT (event_id) DO NOTHING
           RETURNING seq""",
        [m.event_id for m in messages],
        [m.topic for m in messages],
        [m.key for m in messages],
        [m.payload for m in messages],
        [json.dumps(m.headers) for m in messages],
    )
    if inserted:
        await conn.execute(f"NOTIFY {CHANNEL}")
    return len(inserted)


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
    ) -> None:
        self._pool = pool
        self._dsn = dsn
        self._bootstrap = bootstrap_servers
        self._idempotence = enable_idempotence
        self._kafka_options = dict(kafka_options or {})
        self._batch_size = batch_size
        self._poll = poll_interval_s
        self._keep = keep_published_s
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self._published_total = metrics.OUTBOX_PUBLISHED.labels(service)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._lead()
            except (OSError, asyncpg.PostgresError, ConnectionError) as exc:
                log.warning("outbox relay restarting", extra={"error": str(exc)})
                await self._sleep(self._poll)

    async def _lead(self) -> None:
        # A dedicated connection holds the leadership lock and listens for wake-ups.
        listener = await asyncpg.connect(self._dsn)
        try:
            while not await listener.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK):
                if await self._sleep(self._poll):
                    return
            await listener.add_listener(CHANNEL, lambda *_: self._wake.set())
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap,
                **self._kafka_options,
                acks="all",
                enable_idempotence=self._idempotence,
                linger_ms=2,
                max_batch_size=256 * 1024,
            )
            await producer.start()
            try:
                while not self._stopping.is_set():
                    # Clear before reading: a NOTIFY that lands while we publish must
                    # wake the next round, not be swallowed until the poll interval.
                    self._wake.clear()
                    sent = await self.publish_pending(producer)
                    if sent < self._batch_size:
                        await self._sleep(self._poll)
            finally:
                await producer.stop()
        finally:
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
                await self._send(producer, rows)
            await self._mark(conn, [r["seq"] for r in rows])
        self.published += len(rows)
        self._published_total.inc(len(rows))
        return len(rows)

    async def _send(self, producer: AIOKafkaProducer, rows: list[asyncpg.Record]) -> None:
        tracing = telemetry.exporting()
        spans: list[Span] = []
        futures = []
        for r in rows:
            headers: list[tuple[str, str]] = [(k, v) for k, v in json.loads(r["headers"])]
            if tracing:
                span, headers = telemetry.publish_span(r["topic"], headers)
                if span is not None:
                    spans.append(span)
            futures.append(
                await producer.send(
                    r["topic"],
                    bytes(r["payload"]),
                    key=r["key"].encode(),
                    headers=[(k, v.encode()) for k, v in headers],
                )
            )
        try:
            await asyncio.gather(*futures)
        finally:
            for span in spans:
                span.end()

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
