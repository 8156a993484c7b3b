"""Trace context across hops and per-request metrics, without Kafka or Postgres."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from fastapi import FastAPI
from fastapi.testclient import TestClient
from observability_support import by_name, capture_spans, samples, value
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from runtime_support import assessment

from pathwise_contracts import Envelope
from pathwise_runtime import metrics, outbox, telemetry
from pathwise_runtime.projection import derive

pytestmark = pytest.mark.unit

UPSTREAM = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
OTHER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    yield from capture_spans(monkeypatch)


def record(envelope: Envelope, offset: int, headers: list[tuple[str, bytes]]) -> Any:
    return ConsumerRecord(
        topic="assessment.events.v1",
        partition=2,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=envelope.subject.encode(),
        value=envelope.to_bytes(),
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=0,
        headers=headers,
    )


def trace_id(traceparent: str) -> int:
    return int(traceparent.split("-")[1], 16)


def test_parent_context_reads_w3c_and_rejects_anything_else() -> None:
    ctx = telemetry.parent_context(UPSTREAM, "vendor=x")
    assert ctx is not None
    span_ctx = trace.get_current_span(ctx).get_span_context()
    assert span_ctx.trace_id == trace_id(UPSTREAM) and span_ctx.is_remote
    assert span_ctx.trace_state.get("vendor") == "x"
    for bad in (None, "", "garbage", "00-" + "0" * 32 + "-b7ad6b7169203331-01"):
        assert telemetry.parent_context(bad) is None


def test_file_exporter_writes_one_json_line_per_span(tmp_path: Path) -> None:
    provider = TracerProvider(resource=telemetry.Resource.create({"service.name": "unit-svc"}))
    provider.add_span_processor(
        SimpleSpanProcessor(telemetry.FileSpanExporter(tmp_path / "t" / "spans.jsonl"))
    )
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("outer"), tracer.start_as_current_span("inner") as inner:
        inner.set_attribute("pathwise.projection", "tally")
    provider.shutdown()
    lines = [json.loads(x) for x in (tmp_path / "t" / "spans.jsonl").read_text().splitlines()]
    assert [x["name"] for x in lines] == ["inner", "outer"]
    assert {x["service"] for x in lines} == {"unit-svc"}
    assert lines[0]["trace_id"] == lines[1]["trace_id"]
    assert lines[0]["parent_span_id"] == lines[1]["span_id"]
    assert lines[0]["attributes"] == {"pathwise.projection": "tally"}


def test_each_record_is_processed_in_its_own_trace_and_derived_events_continue_it(
    spans: InMemorySpanExporter,
) -> None:
    first = assessment("s-1", 1).model_copy(update={"traceparent": UPSTREAM})
    second = assessment("s-2", 1).model_copy(update={"traceparent": OTHER})
    with telemetry.span("batch") as batch:
        record_spans = telemetry.RecordSpans("learning", batch, 0)
        # Kafka header (a publish span) wins over the envelope's own traceparent.
        publish = "00-0af7651916cd43dd8448eb211c80319c-1111111111111111-01"
        record_spans.open(
            first, record(first, 7, [("traceparent", publish.encode())]), publish, None
        )
        record_spans.open(second, record(second, 8, []), OTHER, None)
        with telemetry.deriving_from_causes():
            assert telemetry.current_trace_headers() == {}
            derived = [derive(assessment("s-1", 2).event(), first, source="urn:test", parts=["x"])]
        assert derived[0].traceparent == UPSTREAM  # the cause's, not the batch's
        derived = record_spans.reparent(derived)
        record_spans.end({second.id: ValueError("refused")})
        with telemetry.span_after(first.id, "email send"):
            pass

    finished = spans.get_finished_spans()
    processed = {
        s.attributes["messaging.message.id"]: s for s in by_name(finished, "learning process")
    }
    one, two = processed[str(first.id)], processed[str(second.id)]
    assert one.kind is SpanKind.CONSUMER
    assert one.context.trace_id == trace_id(UPSTREAM)
    assert one.parent is not None and one.parent.span_id == 0x1111111111111111
    assert two.context.trace_id == trace_id(OTHER)
    assert [link.context.span_id for link in one.links] == [batch.get_span_context().span_id]
    assert two.status.status_code is StatusCode.ERROR and two.attributes["pathwise.dead_lettered"]
    assert derived[0].traceparent == (
        f"00-{one.context.trace_id:032x}-{one.context.span_id:016x}-01"
    )
    (send,) = by_name(finished, "email send")
    assert send.context.trace_id == one.context.trace_id
    assert send.parent is not None and send.parent.span_id == one.context.span_id


def test_without_an_exporter_no_record_spans_and_derived_events_keep_the_cause_trace() -> None:
    cause = assessment("s-1", 1).model_copy(update={"traceparent": UPSTREAM})
    with telemetry.span("batch") as batch:
        record_spans = telemetry.RecordSpans("learning", batch, 0)
        with telemetry.deriving_from_causes():
            derived = [derive(assessment("s-1", 2).event(), cause, source="urn:test")]
        assert record_spans.reparent(derived)[0].traceparent == UPSTREAM
        record_spans.end()


def test_publish_span_becomes_the_parent_named_in_the_kafka_headers(
    spans: InMemorySpanExporter,
) -> None:
    produced, headers = telemetry.publish_span(
        "path.events.v1", [("ce_id", "e-1"), ("traceparent", UPSTREAM)]
    )
    assert produced is not None
    produced.end()
    given = dict(headers)
    ctx = produced.get_span_context()
    assert given["traceparent"] == f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-01"
    assert given["ce_id"] == "e-1" and ctx.trace_id == trace_id(UPSTREAM)
    (published,) = spans.get_finished_spans()
    assert published.kind is SpanKind.PRODUCER and published.parent is not None
    assert telemetry.publish_span("t", [("ce_id", "e-2")]) == (None, [("ce_id", "e-2")])


class _Conn:
    def __init__(self) -> None:
        self.payloads: list[bytes] = []

    async def fetchval(self, _sql: str, *args: Any) -> int:
        self.payloads = list(args[3])
        return len(self.payloads)


async def test_an_event_commanded_in_a_request_carries_the_request_trace(
    spans: InMemorySpanExporter,
) -> None:
    conn = _Conn()
    traced_already = assessment("s-2", 1).model_copy(update={"traceparent": OTHER})
    with telemetry.span("POST /v1/results") as request_span:
        await outbox.add_events(conn, [assessment("s-1", 1), traced_already])  # type: ignore[arg-type]
    ctx = request_span.get_span_context()
    sent = [Envelope.from_bytes(p) for p in conn.payloads]
    assert sent[0].traceparent == f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}"
    assert sent[1].traceparent == OTHER


def observed_app() -> FastAPI:
    app = FastAPI(telemetry=metrics.FASTAPI_TELEMETRY)
    app.add_middleware(metrics.HttpObserver, service="unit-svc")

    @app.get("/v1/students/{student_id}/path")
    async def path(student_id: str) -> dict[str, str]:
        return telemetry.current_trace_headers()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    return app


def test_requests_get_server_spans_and_red_metrics_by_route_template(
    spans: InMemorySpanExporter,
) -> None:
    client = TestClient(observed_app(), raise_server_exceptions=False)
    seen = client.get("/v1/students/s-42/path", headers={"traceparent": UPSTREAM}).json()
    assert client.get("/nowhere").status_code == 404
    assert client.get("/healthz").status_code == 200
    assert client.get("/boom").status_code == 500

    finished = spans.get_finished_spans()
    (server,) = by_name(finished, "GET /v1/students/{student_id}/path")
    assert server.kind is SpanKind.SERVER and server.context.trace_id == trace_id(UPSTREAM)
    assert seen["traceparent"].split("-")[2] == f"{server.context.span_id:016x}"
    assert server.attributes["http.response.status_code"] == 200
    assert not by_name(finished, "GET /healthz")
    (failed,) = by_name(finished, "GET /boom")
    assert failed.status.status_code is StatusCode.ERROR

    found = samples(metrics.render().decode())
    route = {"service": "unit-svc", "method": "GET"}
    template = "/v1/students/{student_id}/path"
    assert value(found, "pathwise_http_requests_total", **route, route=template, status="200") >= 1
    assert (
        value(found, "pathwise_http_requests_total", **route, route="unmatched", status="404") >= 1
    )
    assert value(found, "pathwise_http_requests_total", **route, route="/boom", status="500") >= 1
    assert (
        value(
            found,
            "pathwise_http_request_duration_seconds_count",
            **route,
            route=template,
            status="200",
        )
        >= 1
    )
    assert not [k for k in found if "s-42" in str(k)]
