"""Observability of the whole platform, as processes: one trace from the HTTP request
to the family's notification, Prometheus metrics on every service, and no personal
data in the services' logs or traces."""

from __future__ import annotations

import asyncio
import json
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from pathwise_devstack import simulation
from pathwise_devstack.platform import Platform
from pathwise_devstack.quick import QUICK_SETTINGS
from pathwise_devstack.services import SERVICES
from pathwise_devstack.stack import run_coroutine_sync
from pathwise_runtime.telemetry import TRACE_FILE_ENV

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STUDENTS = 8
COMPETENCIES = 2
ATTEMPTS = 6


@dataclass
class Run:
    """What one small demo-like run left behind."""

    bodies: list[dict[str, Any]]
    log: str
    spans: dict[str, list[dict[str, Any]]]
    metrics: dict[str, str]
    mails: int
    trace_text: str = field(default="")


def enrollment(n: int, rng: random.Random) -> dict[str, Any]:
    """The simulator's enrolment plus a display name and guardian phone numbers."""
    body = simulation.enrollment(n, rng)
    body["display_name"] = f"Ximena Okonkwo-Lindqvist {n:03d}"
    for g, guardian in enumerate(body["guardians"]):
        guardian["phone"] = f"+1555017{n % 10}{g}{n // 10 % 10}"
    return body


async def drive(platform: Platform) -> tuple[list[dict[str, Any]], dict[str, str], int]:
    headers = {"Authorization": f"Bearer {platform.token('service')}"}
    rng = random.Random(11)
    bodies = [enrollment(n, rng) for n in range(STUDENTS)]
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        for body in bodies:
            r = await client.post(f"{platform.url('profile-svc')}/v1/students", json=body)
            assert r.status_code == 201, r.text
        framework = (await client.get(f"{platform.url('path-svc')}/v1/framework")).json()
        competencies = simulation.learning_order(framework)[:COMPETENCIES]
        await platform.wait_caught_up(timeout=120)
        results = [
            r
            for n in range(STUDENTS)
            for r in simulation.answers(n, competencies, ATTEMPTS, rng)
            if r["score"] == 1.0  # every answer right: each student masters something
        ]
        traffic = simulation.Traffic()
        await simulation.stream(client, platform.url("assessment-svc"), results, traffic, rate=100)
        assert traffic.rejected == []
        await platform.wait_caught_up(timeout=120)
        for body in bodies[:2]:  # a staff read decrypts personal data: it must not be logged
            r = await client.get(f"{platform.url('profile-svc')}/v1/students/{body['student_id']}")
            assert r.status_code == 200
        scraped = await _settled_metrics(client, platform)
    return bodies, scraped, len(platform.mails())


async def _settled_metrics(client: httpx.AsyncClient, platform: Platform) -> dict[str, str]:
    """Every service's /metrics once no consumer lag is reported (or the limit passed).

    The staff reads just before emit access records, which profile-svc's
    access_log applies on its next fetch (up to a second when its log is quiet):
    wait for them to be applied, not for a fixed time.
    """
    deadline = asyncio.get_running_loop().time() + 120
    while True:
        scraped = {
            s.name: (await client.get(f"{platform.url(s.name)}/metrics")).text for s in SERVICES
        }
        if all(sum(_lag(t, n)) == 0 for n, t in scraped.items()):
            return scraped
        if asyncio.get_running_loop().time() > deadline:
            return scraped  # the test names the service that still lags
        await asyncio.sleep(0.5)


def _lag(text: str, service: str) -> list[float]:
    return [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "pathwise_consumer_lag" and sample.labels.get("service") == service
    ]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    workdir = tmp_path_factory.mktemp("observability")
    traces = workdir / "traces"
    log = workdir / "services.log"
    with pytest.MonkeyPatch.context() as env:
        # Service processes inherit the environment; one file per service.
        env.setenv(TRACE_FILE_ENV, str(traces / "{service}.jsonl"))
        with Platform(workdir, log_path=log, settings=QUICK_SETTINGS) as platform:
            bodies, scraped, mails = run_coroutine_sync(lambda: drive(platform))
    # Stopping the platform (SIGTERM) flushed every service's spans.
    spans: dict[str, list[dict[str, Any]]] = defaultdict(list)
    text = []
    for path in sorted(traces.glob("*.jsonl")):
        content = path.read_text()
        text.append(content)
        for line in content.splitlines():
            span = json.loads(line)
            spans[span["service"]].append(span)
    yield Run(bodies, log.read_text(), dict(spans), scraped, mails, "".join(text))


def test_one_assessment_is_one_trace_from_the_request_to_the_family(run: Run) -> None:
    assert run.mails > 0
    assessment = {s["trace_id"] for s in run.spans["assessment-svc"] if s["kind"] == "server"}
    path = {s["trace_id"] for s in run.spans["path-svc"] if s["name"] == "learning process"}
    planned = [s for s in run.spans["notify-svc"] if s["name"] == "planning process"]
    mastered = [
        s
        for s in planned
        if s["attributes"].get("cloudevents.event_type", "").endswith("CompetencyMastered.v1")
    ]
    assert mastered, "notify-svc processed no CompetencyMastered record"
    for span in mastered:
        assert span["trace_id"] in path and span["trace_id"] in assessment
    by_id = {s["span_id"]: s for spans in run.spans.values() for s in spans}
    chain, span = [], mastered[0]
    while span is not None:
        chain.append((span["service"], span["name"]))
        span = by_id.get(span["parent_span_id"] or "")
    services = [service for service, _ in chain]
    assert services[0] == "notify-svc" and services[-1] == "assessment-svc"
    assert "path-svc" in services
    assert chain[-1][1] == "POST /v1/assessments"


def test_the_email_send_joins_the_trace_of_its_cause(run: Run) -> None:
    sends = [s for s in run.spans["notify-svc"] if s["name"] == "email send"]
    assert sends, "notify-svc recorded no 'email send' span"
    assessment = {s["trace_id"] for s in run.spans["assessment-svc"]}
    assert all(s["trace_id"] in assessment for s in sends)


def test_every_service_serves_prometheus_metrics(run: Run) -> None:
    for service, text in run.metrics.items():
        found = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.labels.get("service") == service
        }
        names = {name for name, _ in found}
        assert {"pathwise_consumer_lag", "pathwise_outbox_pending"} <= names, service
        assert "pathwise_batch_apply_seconds_count" in names, service
        lag = _lag(text, service)
        assert lag and sum(lag) == 0, f"{service} still lags after catching up"
    requests = text_string_to_metric_families(run.metrics["assessment-svc"])
    posted = [
        s
        for family in requests
        for s in family.samples
        if s.name == "pathwise_http_requests_total" and s.labels["route"] == "/v1/assessments"
    ]
    assert posted and posted[0].labels["status"] == "201" and posted[0].value > 0


def test_no_personal_data_in_logs_or_traces(run: Run) -> None:
    secrets = {b["display_name"] for b in run.bodies}
    for body in run.bodies:
        for guardian in body["guardians"]:
            secrets |= {guardian["email"], guardian["phone"]}
    assert run.log.count("\n") > 20 and len(run.trace_text) > 1000
    for where, text in (("services.log", run.log), ("trace files", run.trace_text)):
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"personal data in {where}: {leaked[:5]}"
        assert "families.example" not in text, f"an email domain in {where}"
