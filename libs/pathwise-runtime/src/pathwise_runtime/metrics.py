"""Prometheus metrics of a service, served on ``GET /metrics`` of its HTTP port.

One registry per process (``REGISTRY``); a service adds its own metrics to it
(``Counter(..., registry=metrics.REGISTRY)``) and they are served with these.
Every metric carries a ``service`` label, so one dashboard reads all services
without depending on how the scraper names its jobs.

Consumer lag, dead-letter depth and outbox backlog need the broker and the
database, so they are refreshed when scraped, at most every few seconds, and
bounded in time: a slow broker makes the figures older, never the scrape hang.
Lag is measured against the watermarks in Postgres (what is really applied,
shared by all replicas), so every replica reports every partition: aggregate
with ``max by (projection, topic, partition)``, not ``sum``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi.telemetry import TelemetryConfig
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pathwise_runtime import kafka_security, telemetry, topics

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)
CONTENT_TYPE = CONTENT_TYPE_LATEST

_PROJECTION = ["service", "projection"]
BATCH_RECORDS = Histogram(
    "pathwise_batch_records",
    "Records per batch handed to a projection (redeliveries included).",
    _PROJECTION,
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000),
    registry=REGISTRY,
)
BATCH_SECONDS = Histogram(
    "pathwise_batch_apply_seconds",
    "Time to apply one batch: identity check, projection, outbox, watermarks, commit.",
    _PROJECTION,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
RECORDS = Counter(
    "pathwise_records",
    "Records a projection handled, by outcome (applied, skipped as already applied, "
    "dead_lettered).",
    [*_PROJECTION, "outcome"],
    registry=REGISTRY,
)
EMITTED = Counter(
    "pathwise_events_emitted", "Events projections derived.", _PROJECTION, registry=REGISTRY
)
DEAD_LETTERS = Counter(
    "pathwise_dead_letters",
    "Records parked on <topic>.dlq by this process, by original topic.",
    [*_PROJECTION, "topic"],
    registry=REGISTRY,
)
HALTED = Gauge(
    "pathwise_projection_halted",
    "1 while a projection does not advance: a failed batch being retried, or a halt "
    "(a recreated or truncated topic) that needs `pathwise replay`.",
    _PROJECTION,
    registry=REGISTRY,
)
ASSIGNED = Gauge(
    "pathwise_consumer_assigned_partitions",
    "Partitions assigned to this replica's consumer of a projection.",
    _PROJECTION,
    registry=REGISTRY,
)
LAG = Gauge(
    "pathwise_consumer_lag",
    "Records in the log not yet applied by a projection (log end minus watermark).",
    [*_PROJECTION, "topic", "partition"],
    registry=REGISTRY,
)
DLQ_RECORDS = Gauge(
    "pathwise_dlq_records",
    "Records in the dead-letter topic of a topic this service consumes.",
    ["service", "topic"],
    registry=REGISTRY,
)
OUTBOX_PENDING = Gauge(
    "pathwise_outbox_pending", "Outbox rows not yet published.", ["service"], registry=REGISTRY
)
OUTBOX_AGE = Gauge(
    "pathwise_outbox_oldest_pending_seconds",
    "Age of the oldest unpublished outbox row (0 when none).",
    ["service"],
    registry=REGISTRY,
)
OUTBOX_PUBLISHED = Counter(
    "pathwise_outbox_published", "Outbox rows published to Kafka.", ["service"], registry=REGISTRY
)
OUTBOX_DEAD = Counter(
    "pathwise_outbox_dead",
    "Outbox rows the broker refused for good, moved to pathwise_outbox_dead.",
    ["service", "topic"],
    registry=REGISTRY,
)
RELAY_ERRORS = Counter(
    "pathwise_outbox_relay_errors",
    "Times the outbox relay could not publish and backed off, by error.",
    ["service", "error"],
    registry=REGISTRY,
)
RELAY_UP = Gauge(
    "pathwise_outbox_relay_up",
    "1 while the outbox relay publishes, 0 while it backs off from an error.",
    ["service"],
    registry=REGISTRY,
)
SUBMISSIONS_PRUNED_BELOW = Gauge(
    "pathwise_submissions_pruned_below_offset",
    "Raw submissions below this offset were deleted from the topic after admission.",
    ["service", "partition"],
    registry=REGISTRY,
)
SUBMISSIONS_PRUNING_SUPPORTED = Gauge(
    "pathwise_submissions_pruning_supported",
    "1 while the broker deletes admitted raw submissions; 0 while only retention does.",
    ["service"],
    registry=REGISTRY,
)
REFRESH_ERRORS = Counter(
    "pathwise_metrics_refresh_errors",
    "Failed refreshes of lag/backlog figures (the served figures are then older).",
    ["service"],
    registry=REGISTRY,
)
_HTTP = ["service", "method", "route", "status"]
HTTP_REQUESTS = Counter(
    "pathwise_http_requests",
    "HTTP requests by route template and status.",
    _HTTP,
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "pathwise_http_request_duration_seconds",
    "HTTP request duration by route template and status.",
    _HTTP,
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)


def render() -> bytes:
    """The exposition text of every metric of this process."""
    return generate_latest(REGISTRY)


class Backlog:
    """Consumer lag, dead-letter depth and outbox backlog of one service, cached briefly."""

    def __init__(
        self,
        service: str,
        pool: asyncpg.Pool,
        bootstrap_servers: str,
        projections: Mapping[str, Sequence[str]],
        *,
        max_age_s: float = 5.0,
        timeout_s: float = 5.0,
    ) -> None:
        self._service = service
        self._pool = pool
        self._bootstrap = bootstrap_servers
        self._projections = {name: tuple(t) for name, t in projections.items()}
        self._max_age = max_age_s
        self._timeout = timeout_s
        self._lock = asyncio.Lock()
        self._at = float("-inf")
        # Whether offset 0 of a DLQ partition is a creation marker (not a dead letter).
        self._marked: dict[TopicPartition, bool] = {}

    async def refresh(self) -> None:
        """Re-read the figures unless they are fresh; failures are counted, not raised."""
        async with self._lock:
            if time.monotonic() - self._at < self._max_age:
                return
            try:
                async with asyncio.timeout(self._timeout):
                    await self._collect()
            except Exception as exc:
                REFRESH_ERRORS.labels(self._service).inc()
                log.warning("metrics refresh failed", extra={"error": type(exc).__name__})
            self._at = time.monotonic()

    async def _collect(self) -> None:
        async with self._pool.acquire() as conn:
            marks = await conn.fetch(
                "SELECT projection, topic, partition, last_offset FROM pathwise_watermarks"
            )
            pending = await conn.fetchval(
                "SELECT count(*) FROM pathwise_outbox WHERE published_at IS NULL"
            )
            age = await conn.fetchval(
                """SELECT extract(epoch FROM now() - created_at) FROM pathwise_outbox
                    WHERE published_at IS NULL ORDER BY seq LIMIT 1"""
            )
        OUTBOX_PENDING.labels(self._service).set(int(pending))
        OUTBOX_AGE.labels(self._service).set(float(age or 0.0))
        applied = {(r["projection"], r["topic"], r["partition"]): r["last_offset"] for r in marks}
        names = sorted({t for ts in self._projections.values() for t in ts})
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            fetch_max_wait_ms=50,
            **kafka_security.client_options(),
        )
        await consumer.start()
        try:
            await consumer.topics()
            parts = {n: sorted(consumer.partitions_for_topic(n) or ()) for n in names}
            dlq = {n: sorted(consumer.partitions_for_topic(f"{n}.dlq") or ()) for n in names}
            tps = [TopicPartition(n, p) for n in names for p in parts[n]]
            tps += [TopicPartition(f"{n}.dlq", p) for n in names for p in dlq[n]]
            if not tps:
                return
            starts = await consumer.beginning_offsets(tps)
            ends = await bounded_log_ends(consumer, tps)
            unknown = [
                tp
                for tp in tps
                if tp.topic.endswith(".dlq")
                and starts[tp] == 0 < ends[tp]
                and tp not in self._marked
            ]
            await self._find_markers(consumer, unknown)
        finally:
            await consumer.stop()
        for projection, subscribed in self._projections.items():
            for topic in subscribed:
                for partition in parts[topic]:
                    tp = TopicPartition(topic, partition)
                    last = applied.get((projection, topic, partition))
                    done = starts[tp] if last is None else last + 1
                    LAG.labels(self._service, projection, topic, str(partition)).set(
                        max(0, ends[tp] - done)
                    )
        for topic in names:
            depth = 0
            for partition in dlq[topic]:
                tp = TopicPartition(f"{topic}.dlq", partition)
                marker = starts[tp] == 0 and self._marked.get(tp, False)
                depth += max(0, ends[tp] - starts[tp] - int(marker))
            if dlq[topic]:
                DLQ_RECORDS.labels(self._service, f"{topic}.dlq").set(depth)

    async def _find_markers(
        self, consumer: AIOKafkaConsumer, tps: list[TopicPartition], budget_s: float = 2.0
    ) -> None:
        """Learn once per partition whether it starts with a creation marker: all the
        partitions in one fetch loop (one at a time, a service with many topics spent the
        whole refresh budget here and never served its lag)."""
        pending = set(tps)
        for tp in pending:
            consumer.seek(tp, 0)
        deadline = time.monotonic() + budget_s
        while pending and time.monotonic() < deadline:
            fetched = await consumer.getmany(*pending, timeout_ms=200)
            if not any(fetched.values()):
                break
            for tp, records in fetched.items():
                if records and tp in pending:
                    self._marked[tp] = records[0].offset == 0 and topics.is_control(records[0])
                    pending.discard(tp)


async def bounded_log_ends(
    consumer: AIOKafkaConsumer, tps: list[TopicPartition], budget_s: float = 1.0
) -> dict[TopicPartition, int]:
    """Like ``topics.log_ends`` (the embedded broker reports ends inside the last
    batch, so they are read forward), but within a time budget: under steady
    production the log never goes quiet, and a metric only needs "about now"."""
    reported = await consumer.end_offsets(tps)
    ends = dict(reported)
    consumer.assign(tps)
    for tp in tps:
        consumer.seek(tp, max(0, reported[tp] - 1))
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        fetched = await consumer.getmany(*tps, timeout_ms=200)
        if not any(fetched.values()):
            break
        for tp, batch in fetched.items():
            if batch:
                ends[tp] = max(ends[tp], batch[-1].offset + 1)
    return ends


_UNTRACED = frozenset({"/healthz", "/readyz", "/metrics"})

# FastAPI's built-in telemetry stays off: HttpObserver takes its place because that
# records ``url.path`` and ``url.query``, and an xAPI query names a learner by email.
FASTAPI_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


class HttpObserver:
    """ASGI middleware: a server span and RED metrics per request, by route template.

    Pure ASGI (not BaseHTTPMiddleware) so streaming bodies and the span's context
    reach the handler unchanged; the handler's events then carry this span as
    their ``traceparent``. Health and metrics requests are counted, not traced.
    Spans carry the method, route template and status: never the path or query.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self._app = app
        self._service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        method = str(scope["method"])
        status = 500

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        traced = scope["path"] not in _UNTRACED
        started = time.perf_counter()
        scope_span: AbstractContextManager[Any] = (
            telemetry.span(method, kind=SpanKind.SERVER, context=_incoming(scope))
            if traced
            else nullcontext()
        )
        with scope_span as server_span:
            try:
                await self._app(scope, receive, observed_send)
            finally:
                route = _route_of(scope)
                labels = (self._service, method, route, str(status))
                HTTP_REQUESTS.labels(*labels).inc()
                HTTP_SECONDS.labels(*labels).observe(time.perf_counter() - started)
                if server_span is not None:
                    server_span.update_name(f"{method} {route}")
                    server_span.set_attribute("http.request.method", method)
                    server_span.set_attribute("http.route", route)
                    server_span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        server_span.set_status(Status(StatusCode.ERROR))


def _incoming(scope: Scope) -> Any:
    """The caller's trace context (a client that traces itself continues its trace)."""
    headers = dict(scope.get("headers") or ())
    parent = headers.get(b"traceparent")
    if parent is None:
        return None
    state = headers.get(b"tracestate")
    return telemetry.parent_context(parent.decode("latin-1"), state and state.decode("latin-1"))


def _route_of(scope: Scope) -> str:
    """The matched route's template (bounded label values); 'unmatched' otherwise."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(template) if template else "unmatched"


def service_counter(name: str, documentation: str, labels: Sequence[str]) -> Counter:
    """A counter of one service's own in the shared registry, ``service`` its first label."""
    return Counter(name, documentation, ["service", *labels], registry=REGISTRY)
