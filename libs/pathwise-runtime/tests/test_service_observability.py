"""A service built on the runtime, in-process against the real Postgres and broker:
one request's trace reaches the projection through Kafka, and /metrics tells lag,
batches, dead letters, outbox backlog and HTTP traffic."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from observability_support import by_name, capture_spans, samples, value
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from runtime_support import assessment, new_topic, produce, produce_raw, wait_for

from pathwise_runtime import outbox, tally, telemetry
from pathwise_runtime.service import Runtime, ServiceSpec, create_app
from pathwise_runtime.settings import ServiceSettings

pytestmark = pytest.mark.integration

CLIENT_TRACE = "00-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-01"


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    yield from capture_spans(monkeypatch)


def spec(topic: str, migrations: Path) -> ServiceSpec:
    (migrations / "0001_tally.sql").write_text(tally.SCHEMA)
    router = APIRouter()

    @router.post("/v1/students/{student_id}/results", status_code=202)
    async def record(student_id: str, request: Request) -> dict[str, str]:
        runtime: Runtime = request.app.state.runtime
        envelope = assessment(student_id, 1)
        traced = envelope.model_copy(update=telemetry.current_trace_headers())
        async with runtime.pool.acquire() as conn, conn.transaction():
            await outbox.add(conn, [outbox.message_for(topic, traced)])
        return {"id": str(envelope.id)}

    def configure(app: FastAPI) -> None:
        app.include_router(router)

    return ServiceSpec(
        name="obs-svc",
        migrations=migrations,
        projections=lambda _: [tally.Tally("tally", [topic], poison_student="refused")],
        configure_api=configure,
    )


async def test_a_request_is_traced_into_the_projection_and_metrics_tell_the_backlog(
    database, kafka_bootstrap: str, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    dsn = database()
    topic = await new_topic(kafka_bootstrap, partitions=3)
    await produce(kafka_bootstrap, topic.name, [assessment(f"s-{n}", 0) for n in range(20)])
    await produce_raw(kafka_bootstrap, topic.name, b"s-0", b"{not json")
    await produce(kafka_bootstrap, topic.name, [assessment("refused", 0)])
    settings = ServiceSettings(
        SERVICE_NAME="obs-svc",
        DATABASE_URL=dsn,
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        OUTBOX_POLL_INTERVAL_S=0.2,
        PATHWISE_AUTH_DEV_SECRET="obs-test-secret-0123456789-0123456789",
    )
    app = create_app(spec(topic.name, tmp_path), settings)
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        telemetry._exporting = True  # the lifespan configured no exporter; capture as if
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://obs") as client:
            posted = await client.post(
                "/v1/students/s-99/results", headers={"traceparent": CLIENT_TRACE}
            )
            assert posted.status_code == 202
            event_id = posted.json()["id"]

            async def settled() -> bool:
                stats = runtime.projectors[0].applier.stats
                return (
                    stats.applied >= 21
                    and stats.dead_lettered >= 2
                    and not (await runtime.relay.pending())
                )

            await wait_for(settled, timeout=60)
            # Dead letters travel through the outbox too: give the relay a round.
            await wait_for(lambda: _dlq_published(runtime), timeout=30)
            scraped = await client.get("/metrics")
    assert scraped.status_code == 200
    found = samples(scraped.text)
    svc = {"service": "obs-svc", "projection": "tally"}
    for partition in range(3):
        assert (
            value(found, "pathwise_consumer_lag", **svc, topic=topic.name, partition=str(partition))
            == 0
        )
    assert value(found, "pathwise_records_total", **svc, outcome="applied") >= 21
    assert value(found, "pathwise_dead_letters_total", **svc, topic=topic.name) == 2
    assert value(found, "pathwise_dlq_records", service="obs-svc", topic=topic.dlq) == 2
    assert value(found, "pathwise_batch_records_count", **svc) >= 1
    assert value(found, "pathwise_batch_apply_seconds_count", **svc) >= 1
    assert value(found, "pathwise_outbox_pending", service="obs-svc") == 0
    assert value(found, "pathwise_outbox_oldest_pending_seconds", service="obs-svc") == 0
    assert value(found, "pathwise_outbox_published_total", service="obs-svc") >= 3
    assert value(found, "pathwise_projection_halted", **svc) == 0
    assert value(found, "pathwise_consumer_assigned_partitions", **svc) == 3
    route = "/v1/students/{student_id}/results"
    assert (
        value(found, "pathwise_http_requests_total", service="obs-svc", route=route, status="202")
        == 1
    )

    finished = spans.get_finished_spans()
    trace_id = int(CLIENT_TRACE.split("-")[1], 16)
    (server,) = by_name(finished, f"POST {route}")
    (published,) = [s for s in by_name(finished, f"{topic.name} publish")]
    (processed,) = [
        s
        for s in by_name(finished, "tally process")
        if s.attributes and s.attributes["messaging.message.id"] == event_id
    ]
    assert server.context.trace_id == published.context.trace_id == trace_id
    assert processed.context.trace_id == trace_id
    assert published.parent is not None and published.parent.span_id == server.context.span_id
    assert processed.parent is not None and processed.parent.span_id == published.context.span_id


async def _dlq_published(runtime: Runtime) -> bool:
    return await runtime.relay.pending() == 0 and runtime.relay.published >= 3
