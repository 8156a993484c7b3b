"""The demo's tour of assessment-svc's front door: one result per standard per student.

For a few already-enrolled demo students it loads a competency mapping, then
sends results as an xAPI statement, a OneRoster 1.2 result, an Ed-Fi
StudentAssessment, a Caliper 1.2 GradeEvent and a record on the Kafka ingest
topic, and waits until each has become an assessment. Every id is derived
from the student and the competency, so a second run sends the same results
(and assessment-svc answers them as duplicates).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
from aiokafka import AIOKafkaProducer

from pathwise_contracts import ASSESSMENT_SUBMISSIONS, assessment_id, derive_event_id
from pathwise_devstack import demo_producer, simulation

XAPI_HEADERS = {"X-Experience-API-Version": "1.0.3"}
ACCOUNT_HOMEPAGE = "urn:pathwise:students"  # every enrolled student's own xAPI account
CALIPER_PERSON = "urn:pathwise:students:"
NATIVE = "application/vnd.pathwise.assessment+json"
EDFI = "uri://ed-fi.org/"
DISTRICT = "d1"  # the district of the platform's default token, which the demo sends as


class _Platform(Protocol):
    def url(self, service: str) -> str: ...

    @property
    def infra(self) -> Any: ...


def _mappings(competencies: list[str]) -> list[dict[str, Any]]:
    c = competencies
    return [
        {
            "kind": "xapi_activity",
            "ref": f"urn:pathwise:demo:activity:{c[0]}",
            "competency_id": c[0],
        },
        {
            "kind": "oneroster_line_item",
            "ref": f"demo-li-{c[1]}",
            "competency_id": c[1],
            "max_score": 10,
        },
        {
            "kind": "edfi_assessment",
            "ref": f"uri://demo.pathwise#{c[2]}",
            "competency_id": c[2],
            "max_score": 10,
        },
        {
            "kind": "caliper_assessment",
            "ref": f"urn:pathwise:demo:assessment:{c[3]}",
            "competency_id": c[3],
        },
    ]


async def demo_step(
    client: httpx.AsyncClient, platform: _Platform, *, students: int = 5
) -> dict[str, Any]:
    """Send results through every input path; returns counts per path and how many arrived."""
    url = platform.url("assessment-svc")
    framework = (await client.get(f"{platform.url('path-svc')}/v1/framework")).json()
    order = simulation.learning_order(framework)
    competencies = (order * 5)[:5]
    r = await client.put(
        f"{url}/v1/competency-mappings", json={"mappings": _mappings(competencies)}
    )
    r.raise_for_status()
    when = datetime(2026, 9, 20, 9, tzinfo=UTC)
    expected: dict[str, list[str]] = {
        p: [] for p in ("xapi", "oneroster", "edfi", "caliper", "kafka")
    }
    records: list[tuple[bytes, bytes]] = []
    for n in range(students):
        student = simulation.student_id(n)
        at = (when + timedelta(minutes=n)).isoformat()
        expected["xapi"].append(await _xapi(client, url, student, competencies[0], at))
        expected["oneroster"].append(await _oneroster(client, url, student, competencies[1], at))
        expected["edfi"].append(await _edfi(client, url, student, competencies[2], at))
        expected["caliper"].append(await _caliper(client, url, student, competencies[3], at))
        source_id = f"{student}/{competencies[4]}"
        native: dict[str, Any] = {
            "student_id": student,
            "competency_id": competencies[4],
            "score": 1,
            "max_score": 1,
            "occurred_at": at,
            "source": "demo-ingest",
            "source_id": source_id,
        }
        records.append((student.encode(), json.dumps(native).encode()))
        expected["kafka"].append(str(assessment_id(DISTRICT, "demo-ingest", source_id)))
    producer = AIOKafkaProducer(bootstrap_servers=platform.infra.bootstrap_servers)
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(
                ASSESSMENT_SUBMISSIONS.name,
                value,
                key=key,
                headers=demo_producer.headers(platform.infra.dev_secret, NATIVE, key, value),
            )
    finally:
        await producer.stop()
    arrived = await _wait_recorded(client, url, [i for ids in expected.values() for i in ids])
    return {
        "ingest_sent": {path: len(ids) for path, ids in expected.items()},
        "ingest_recorded": arrived,
    }


async def _xapi(client: httpx.AsyncClient, url: str, student: str, competency: str, at: str) -> str:
    statement_id = str(derive_event_id("demo-xapi", student, competency))
    statement = {
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": ACCOUNT_HOMEPAGE, "name": student},
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/scored", "display": {"en-US": "scored"}},
        "object": {"id": f"urn:pathwise:demo:activity:{competency}"},
        "result": {"score": {"raw": 4, "min": 0, "max": 5}, "success": True},
        "timestamp": at,
    }
    r = await client.put(
        f"{url}/xapi/statements",
        params={"statementId": statement_id},
        json=statement,
        headers=XAPI_HEADERS,
    )
    r.raise_for_status()
    return str(assessment_id(DISTRICT, "xapi", statement_id))


async def _oneroster(
    client: httpx.AsyncClient, url: str, student: str, competency: str, at: str
) -> str:
    sourced_id = f"demo-result-{student}-{competency}"
    result = {
        "sourcedId": sourced_id,
        "status": "active",
        "lineItem": {"sourcedId": f"demo-li-{competency}", "type": "lineItem"},
        "student": {"sourcedId": student, "type": "user"},
        "scoreStatus": "fully graded",
        "score": 9,
        "scoreDate": at[:10],
    }
    r = await client.put(
        f"{url}/ims/oneroster/gradebook/v1p2/results/{sourced_id}", json={"result": result}
    )
    r.raise_for_status()
    return str(r.json()["results"][0]["assessment_id"])


async def _edfi(client: httpx.AsyncClient, url: str, student: str, competency: str, at: str) -> str:
    body = {
        "studentAssessmentIdentifier": f"demo-{student}-{competency}",
        "assessmentReference": {
            "assessmentIdentifier": competency,
            "namespace": "uri://demo.pathwise",
        },
        "studentReference": {"studentUniqueId": student},
        "administrationDate": at,
        "scoreResults": [
            {
                "assessmentReportingMethodDescriptor": EDFI
                + "AssessmentReportingMethodDescriptor#Raw score",
                "resultDatatypeTypeDescriptor": EDFI + "ResultDatatypeTypeDescriptor#Integer",
                "result": "8",
            }
        ],
    }
    r = await client.post(f"{url}/ed-fi/studentAssessments", json=body)
    r.raise_for_status()
    return str(r.json()["results"][0]["assessment_id"])


async def _caliper(
    client: httpx.AsyncClient, url: str, student: str, competency: str, at: str
) -> str:
    event_id = derive_event_id("demo-caliper", student, competency)
    envelope = {
        "sensor": "urn:pathwise:demo:sensor",
        "sendTime": at,
        "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
        "data": [
            {
                "@context": "http://purl.imsglobal.org/ctx/caliper/v1p2",
                "id": f"urn:uuid:{event_id}",
                "type": "GradeEvent",
                "action": "Graded",
                "actor": {"id": "urn:pathwise:demo:grader", "type": "SoftwareApplication"},
                "object": {
                    "id": f"urn:pathwise:demo:attempt:{event_id}",
                    "type": "Attempt",
                    "assignee": {"id": CALIPER_PERSON + student, "type": "Person"},
                    "assignable": {
                        "id": f"urn:pathwise:demo:assessment:{competency}",
                        "type": "Assessment",
                    },
                },
                "generated": {
                    "id": f"urn:pathwise:demo:score:{event_id}",
                    "type": "Score",
                    "scoreGiven": 4,
                    "maxScore": 5,
                },
                "eventTime": at,
            }
        ],
    }
    r = await client.post(f"{url}/caliper/v1p2/envelopes", json=envelope)
    r.raise_for_status()
    return str(assessment_id(DISTRICT, "caliper", str(event_id)))


async def _wait_recorded(
    client: httpx.AsyncClient, url: str, ids: list[str], timeout: float = 60.0
) -> int:
    """How many of ``ids`` are assessments, once all are or the time is up."""

    async def present(assessment_id: str) -> bool:
        r = await client.get(f"{url}/v1/assessments/{assessment_id}")
        return r.status_code == 200

    check: Callable[[str], Awaitable[bool]] = present
    missing = list(ids)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while missing and loop.time() < deadline:
        found = await asyncio.gather(*(check(i) for i in missing))
        missing = [i for i, ok in zip(missing, found, strict=True) if not ok]
        if missing:
            await asyncio.sleep(0.5)
    return len(ids) - len(missing)
