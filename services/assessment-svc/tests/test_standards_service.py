"""The standards front door end to end in-process: each format becomes exactly one
AssessmentRecorded for an enrolled student, identities resolve (or park until
enrollment), statement ids are idempotent, voids travel, and replay agrees."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from standards_support import (
    Auth,
    Published,
    WaitUntil,
    enroll,
    recorded_once,
)

from assessment_svc.adapters.keyring import keyring
from assessment_svc.workers.submissions import CALIPER, EDFI, XAPI
from pathwise_contracts import (
    ASSESSMENT_SUBMISSIONS,
    AssessmentVoided,
    derive_event_id,
)
from pathwise_contracts.ids import assessment_id as derive_assessment_id
from pathwise_devstack.service_fixtures import rostered

EDFI_NS = "uri://ed-fi.org/"

pytestmark = pytest.mark.integration


async def results_for_unknown_students_wait_for_enrollment(
    service: Any, auth: Auth, published: Published, wait_until: WaitUntil, kafka_bootstrap: str
) -> None:
    client, admin = service.client, auth("admin", "d1")
    student = f"stu-{secrets.token_hex(4)}"
    body = {
        "result": {
            "sourcedId": f"res-{student}",
            "lineItem": {"sourcedId": "li-1"},
            "student": {"sourcedId": f"sis-{student}"},
            "scoreStatus": "fully graded",
            "score": 9,
            "scoreDate": "2026-09-01",
            "learningObjectiveSet": [
                {
                    "source": "CASE",
                    "learningObjectiveResults": [{"learningObjectiveId": "3.OA.A.2", "score": 9}],
                }
            ],
        }
    }
    r = await client.put(
        f"/ims/oneroster/gradebook/v1p2/results/res-{student}", json=body, headers=admin
    )
    assert r.status_code == 200, r.text
    [receipt] = r.json()["results"]
    assert receipt["competency_id"] == "3.OA.A.2"
    r = await client.put(
        f"/ims/oneroster/gradebook/v1p2/results/res-{student}",
        json={"result": {**body["result"], "scoreStatus": "graded"}},
        headers=admin,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "result.scoreStatus"
    await enroll(
        kafka_bootstrap, student, {"oneroster": f"sis-{student}"}, keyring(service.runtime)
    )
    event = await recorded_once(published, wait_until, uuid.UUID(receipt["assessment_id"]))
    assert (event.student_id, event.score, event.max_score) == (student, 9, 100)


async def test_edfi_caliper_the_ingest_topic_parking_and_batches(
    service: Any, auth: Auth, published: Published, wait_until: WaitUntil, kafka_bootstrap: str
) -> None:
    client, admin = service.client, auth("admin", "d1")
    student = f"stu-{secrets.token_hex(4)}"
    # Enrolled as on a log written before keyed digests: ids in clear still match.
    await enroll(kafka_bootstrap, student, {"edfi": f"U{student}"})
    edfi = {
        "studentAssessmentIdentifier": f"sa-{student}",
        "assessmentReference": {"assessmentIdentifier": "M3", "namespace": "uri://d1.example"},
        "studentReference": {"studentUniqueId": f"U{student}"},
        "administrationDate": "2026-09-01T09:00:00Z",
        "scoreResults": [
            {
                "assessmentReportingMethodDescriptor": EDFI_NS
                + "AssessmentReportingMethodDescriptor#Raw score",
                "resultDatatypeTypeDescriptor": EDFI_NS + "ResultDatatypeTypeDescriptor#Integer",
                "result": "7",
            }
        ],
    }
    mappings = [
        {
            "kind": "edfi_assessment",
            "ref": "uri://d1.example#M3",
            "competency_id": "3.NBT.A.1",
            "max_score": 10,
        },
        {
            "kind": "caliper_assessment",
            "ref": "https://app.example/assess/1",
            "competency_id": "3.NBT.A.2",
        },
    ]
    assert (
        await client.put("/v1/competency-mappings", json={"mappings": mappings}, headers=admin)
    ).is_success
    r = await client.post("/ed-fi/studentAssessments", json=edfi, headers=admin)
    assert r.status_code == 201, r.text
    event = await recorded_once(
        published, wait_until, uuid.UUID(r.json()["results"][0]["assessment_id"])
    )
    assert (event.competency_id, event.score, event.max_score) == ("3.NBT.A.1", 7, 10)
    # The native void works on a standards result too and reaches the student's stream.
    r = await client.post(
        f"/v1/assessments/{event.assessment_id}/void",
        json={"reason": "entered_in_error"},
        headers=admin,
    )
    assert r.status_code == 200, r.text

    async def withdrawn() -> bool:
        return bool(await published(derive_event_id(event.assessment_id, "void")))

    await wait_until(withdrawn, 30)
    [void] = await published(derive_event_id(event.assessment_id, "void"))
    assert void.subject == student and isinstance(void.event(), AssessmentVoided)
    bad = {**edfi, "studentReference": {}}
    r = await client.post("/ed-fi/studentAssessments", json=bad, headers=admin)
    assert (
        r.status_code == 422
        and r.json()["errors"][0]["field"] == "studentReference.studentUniqueId"
    )

    # Caliper and xAPI through Kafka; the Pathwise id is an identity every student has.
    event_id = str(uuid.uuid4())
    caliper = {
        "sensor": "https://app.example/sensors/1",
        "sendTime": "2026-09-01T10:05:00Z",
        "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
        "data": [
            {
                "id": f"urn:uuid:{event_id}",
                "type": "GradeEvent",
                "action": "Graded",
                "actor": {"id": "https://app.example/grader", "type": "SoftwareApplication"},
                "object": {
                    "id": "https://app.example/attempts/1",
                    "type": "Attempt",
                    "assignee": {"id": f"urn:pathwise:students:{student}", "type": "Person"},
                    "assignable": {"id": "https://app.example/assess/1", "type": "Assessment"},
                },
                "generated": {
                    "id": "https://app.example/scores/1",
                    "type": "Score",
                    "scoreGiven": 3,
                    "maxScore": 5,
                },
                "eventTime": "2026-09-01T10:04:00Z",
            }
        ],
    }
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for content_type, value in [
            (CALIPER, json.dumps(caliper).encode()),
            (EDFI, b'{"studentAssessmentIdentifier": 1}'),
            (XAPI, b"not json"),
        ]:
            await producer.send_and_wait(
                ASSESSMENT_SUBMISSIONS.name,
                value,
                key=student.encode(),
                headers=[("content-type", content_type.encode())],
            )
    finally:
        await producer.stop()
    event = await recorded_once(
        published, wait_until, derive_assessment_id("d1", "caliper", event_id)
    )
    assert (event.student_id, event.competency_id, event.score) == (student, "3.NBT.A.2", 3)
    reasons = await dead_letters(kafka_bootstrap, student)
    assert any("studentAssessmentIdentifier" in r for r in reasons), reasons
    assert any("not JSON" in r for r in reasons), reasons
    # One service start for the rest (each start waits for partition assignment).
    await results_for_unknown_students_wait_for_enrollment(
        service, auth, published, wait_until, kafka_bootstrap
    )
    await native_batches_are_idempotent_and_listing_pages(service, auth, wait_until)


async def dead_letters(bootstrap: str, key: str) -> list[str]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [
            TopicPartition(ASSESSMENT_SUBMISSIONS.dlq, p)
            for p in range(ASSESSMENT_SUBMISSIONS.partitions)
        ]
        consumer.assign(tps)
        for _ in range(60):
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            found: list[str] = []
            while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    found.extend(
                        dict(r.headers)["dlq.reason"].decode()
                        for r in records
                        if r.key == key.encode()
                    )
            if len(found) >= 2:
                return found
            await asyncio.sleep(0.5)
        return found
    finally:
        await consumer.stop()


async def native_batches_are_idempotent_and_listing_pages(
    service: Any, auth: Auth, wait_until: WaitUntil
) -> None:
    client, teacher = service.client, auth("teacher", "d1")
    student = f"stu-{secrets.token_hex(4)}"
    await rostered(service, student)
    results = [
        {
            "student_id": student,
            "competency_id": "3.OA.A.1",
            "score": 1,
            "max_score": 1,
            "occurred_at": f"2026-09-{day:02d}T10:00:00Z",
            "source": "batch",
            "source_id": f"{student}/{day}",
        }
        for day in range(1, 6)
    ]
    key = {"Idempotency-Key": secrets.token_hex(8)}
    r = await client.post("/v1/assessments/batch", json={"results": results}, headers=teacher | key)
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["receipts"]] == ["recorded"] * 5
    again = await client.post(
        "/v1/assessments/batch", json={"results": results}, headers=teacher | key
    )
    assert again.json() == r.json()
    other = await client.post(
        "/v1/assessments/batch", json={"results": results[:1]}, headers=teacher | key
    )
    assert other.status_code == 422
    r = await client.post("/v1/assessments/batch", json={"results": results}, headers=teacher)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "idempotency-key"
    r = await client.post(
        "/v1/assessments/batch", json={"results": [results[0]] * 1001}, headers=teacher | key
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "results"

    async def all_listed() -> bool:
        r = await client.get(f"/v1/students/{student}/assessments", headers=teacher)
        return len(r.json()["assessments"]) == 5

    await wait_until(all_listed)
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (
            await client.get(f"/v1/students/{student}/assessments", params=params, headers=teacher)
        ).json()
        seen.extend(a["source_id"] for a in page["assessments"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"{student}/{d}" for d in range(5, 0, -1)]
    bad = base64.urlsafe_b64encode(b"nonsense").decode()
    r = await client.get(
        f"/v1/students/{student}/assessments", params={"cursor": bad}, headers=teacher
    )
    assert r.status_code == 400
