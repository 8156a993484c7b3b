"""Tracing and structured logs that never carry personal data.

Spans and log records carry ids (event, student pseudonymous id, offsets) and
counts, never payloads: payloads may hold personal data even when encrypted
fields are used correctly.

One trace follows a fact across services: an HTTP request opens a server span,
the events it writes carry that span as their W3C ``traceparent`` (envelope
extension and Kafka header), and each consumer processes each record in a span
of the record's own trace, so the events it derives continue the same trace.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from aiokafka import ConsumerRecord
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TraceState,
)

from pathwise_contracts import Envelope

TRACE_FILE_ENV = "PATHWISE_TRACE_FILE"

_tracer = trace.get_tracer("pathwise")
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
# Set while a projection's apply runs: its derived events take their cause's trace.
_deriving: contextvars.ContextVar[bool] = contextvars.ContextVar("pathwise_deriving", default=False)
_exporting = False


class JsonFormatter(logging.Formatter):
    """One JSON object per line with trace ids, for log shippers."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            entry["trace_id"] = format(ctx.trace_id, "032x")
            entry["span_id"] = format(ctx.span_id, "016x")
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(service: str, fmt: str = "json", level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    if fmt == "json":
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel("WARNING")


class FileSpanExporter(SpanExporter):
    """Finished spans as JSON lines in a file: for tests, the demo and air-gapped triage."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(span_record(s), default=str) + "\n" for s in spans)
        with self._lock:
            if self._file.closed:
                return SpanExportResult.FAILURE
            self._file.write(lines)
            self._file.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        with self._lock:
            self._file.close()


def span_record(span: ReadableSpan) -> dict[str, Any]:
    """The exported shape of one span (ids in W3C hex, times in ns since the epoch)."""
    ctx = span.get_span_context()
    assert ctx is not None
    return {
        "service": span.resource.attributes.get("service.name"),
        "name": span.name,
        "kind": span.kind.name.lower(),
        "trace_id": f"{ctx.trace_id:032x}",
        "span_id": f"{ctx.span_id:016x}",
        "parent_span_id": f"{span.parent.span_id:016x}" if span.parent else None,
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": span.status.status_code.name.lower(),
        "attributes": dict(span.attributes or {}),
        "links": [
            {"trace_id": f"{k.context.trace_id:032x}", "span_id": f"{k.context.span_id:016x}"}
            for k in span.links
        ],
    }


def configure_tracing(
    service: str, otlp_endpoint: str | None, trace_file: str | None = None
) -> TracerProvider:
    """Install a tracer provider; export over OTLP/HTTP and/or to a JSON-lines file.

    ``trace_file`` may contain ``{service}`` so one setting serves every process.
    Sampling follows ``OTEL_TRACES_SAMPLER`` (the SDK reads it), parent-based by default.
    """
    global _exporting
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    if trace_file:
        path = Path(trace_file.replace("{service}", service))
        provider.add_span_processor(
            BatchSpanProcessor(FileSpanExporter(path), schedule_delay_millis=500)
        )
    _exporting = bool(otlp_endpoint or trace_file)
    trace.set_tracer_provider(provider)
    return provider


def exporting() -> bool:
    """Whether spans leave the process; per-record spans are only worth their cost then."""
    return _exporting


@contextmanager
def span(
    name: str,
    attributes: Mapping[str, Any] | None = None,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    context: Context | None = None,
) -> Iterator[Span]:
    with _tracer.start_as_current_span(
        name, context=context, kind=kind, attributes=dict(attributes or {})
    ) as current:
        yield current


def current_trace_headers() -> dict[str, str]:
    """W3C trace context of the current span, for a CloudEvent's extensions.

    Formatted directly from the span context: this runs once per derived event,
    and the generic propagator machinery costs more than the rest of ``derive``.
    Empty while a projection applies a batch, so ``derive`` keeps the cause's trace.
    """
    if _deriving.get():
        return {}
    return _headers_of(trace.get_current_span().get_span_context())


def _headers_of(ctx: SpanContext) -> dict[str, str]:
    if not ctx.is_valid:
        return {}
    headers = {"traceparent": f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}"}
    if ctx.trace_state:
        headers["tracestate"] = ctx.trace_state.to_header()
    return headers


def parent_context(traceparent: str | None, tracestate: str | None = None) -> Context | None:
    """A context whose current span is the remote one a ``traceparent`` names (or None)."""
    match = _TRACEPARENT.match(traceparent or "")
    if match is None:
        return None
    trace_id, span_id, flags = (int(g, 16) for g in match.groups())
    if not trace_id or not span_id:
        return None
    ctx = SpanContext(
        trace_id,
        span_id,
        is_remote=True,
        trace_flags=TraceFlags(flags),
        trace_state=TraceState.from_header([tracestate]) if tracestate else None,
    )
    return trace.set_span_in_context(NonRecordingSpan(ctx))


@contextmanager
def deriving_from_causes() -> Iterator[None]:
    """While a batch is applied, derived events carry their cause's trace, not the batch's."""
    token = _deriving.set(True)
    try:
        yield
    finally:
        _deriving.reset(token)


class _Recent:
    """Span contexts of events this process processed lately, by event id (bounded)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._spans: dict[str, SpanContext] = {}

    def remember(self, event_id: str, ctx: SpanContext) -> None:
        self._spans[event_id] = ctx
        if len(self._spans) > self._size:
            del self._spans[next(iter(self._spans))]

    def get(self, event_id: str) -> SpanContext | None:
        return self._spans.get(event_id)


_recent = _Recent(20_000)


class RecordSpans:
    """One consumer span per record of a batch, each a child of the record's own trace.

    The spans start when the batch started and end after its transaction, which
    is what each record experienced; each links to the batch span. Events the
    batch derives are re-parented from the cause's span onto the record's span,
    so the trace reads HTTP -> assessment record -> path record -> notify record.
    Without an exporter none are opened and derived events keep the cause's trace.
    """

    def __init__(self, projection: str, batch: Span, started_ns: int) -> None:
        """Spans of one batch; ``open`` them only when ``exporting()``."""
        self._projection = projection
        self._links = [Link(batch.get_span_context())]
        self._started = started_ns
        self._spans: dict[UUID, Span] = {}
        self._by_cause: dict[str, dict[str, str]] = {}

    def open(
        self,
        envelope: Envelope,
        position: ConsumerRecord[bytes, bytes],
        parent: str | None,
        state: str | None,
    ) -> None:
        """Start the span of one record, a child of its producer's ``parent`` context."""
        record_span = _tracer.start_span(
            f"{self._projection} process",
            context=parent_context(parent, state),
            kind=SpanKind.CONSUMER,
            links=self._links,
            start_time=self._started,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": position.topic,
                "messaging.destination.partition.id": str(position.partition),
                "messaging.kafka.offset": position.offset,
                # When the producer (an outbox relay) published it: the hop before this one.
                "pathwise.kafka.timestamp_ms": position.timestamp,
                "messaging.message.id": str(envelope.id),
                "cloudevents.event_type": envelope.type,
                "pathwise.projection": self._projection,
            },
        )
        self._spans[envelope.id] = record_span
        ctx = record_span.get_span_context()
        _recent.remember(str(envelope.id), ctx)
        # Derived events carry the cause envelope's traceparent; the Kafka header may
        # name the producer's publish span instead. Either maps to this record's span.
        for cause in (parent, envelope.traceparent):
            if cause:
                self._by_cause.setdefault(cause, _headers_of(ctx))

    def reparent(self, emitted: Sequence[Envelope]) -> list[Envelope]:
        """Derived events that carry a cause's trace now carry the cause's record span."""
        if not self._by_cause:
            return list(emitted)
        out: list[Envelope] = []
        for envelope in emitted:
            headers = self._by_cause.get(envelope.traceparent or "")
            if headers:
                envelope = envelope.model_copy(
                    update={
                        "traceparent": headers["traceparent"],
                        "tracestate": headers.get("tracestate"),
                    }
                )
            out.append(envelope)
        return out

    def end(
        self,
        failed: Mapping[UUID, BaseException] | None = None,
        *,
        error: BaseException | None = None,
    ) -> None:
        """Close every record span; a failed record's span says why (the type only)."""
        now = time.time_ns()
        for event_id, record_span in self._spans.items():
            cause = error or (failed or {}).get(event_id)
            if cause is not None:
                record_span.set_attribute("pathwise.dead_lettered", error is None)
                record_span.set_status(Status(StatusCode.ERROR, type(cause).__name__))
            record_span.end(end_time=now)
        self._spans.clear()


def publish_span(
    topic: str, headers: list[tuple[str, str]]
) -> tuple[Span | None, list[tuple[str, str]]]:
    """A producer span in the trace the outbox row carries, and headers naming it.

    The consumer's record span becomes its child, so the trace shows the time a
    fact waited in the outbox and on the broker between two services.
    """
    given = dict(headers)
    parent = parent_context(given.get("traceparent"), given.get("tracestate"))
    if parent is None:
        return None, headers
    producer = _tracer.start_span(
        f"{topic} publish",
        context=parent,
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "send",
            "messaging.destination.name": topic,
            "messaging.message.id": given.get("ce_id", ""),
        },
    )
    kept = [(k, v) for k, v in headers if k not in ("traceparent", "tracestate")]
    return producer, kept + list(_headers_of(producer.get_span_context()).items())


@contextmanager
def span_after(
    event_id: str | UUID, name: str, attributes: Mapping[str, Any] | None = None
) -> Iterator[Span]:
    """A span in the trace of an event this process recently processed.

    For work that happens after the projection, outside its transaction (a
    notification's email send): the span joins the trace of the record that
    caused it. After a restart the record is no longer known and the span
    starts its own trace, linked to nothing.
    """
    ctx = _recent.get(str(event_id))
    parent = trace.set_span_in_context(NonRecordingSpan(ctx)) if ctx else None
    with span(name, attributes, context=parent if parent is not None else Context()) as current:
        yield current
