"""The service end to end in-process: HTTP command -> outbox -> topic -> projection -> HTTP."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from standards_support import replays_identically

from pathwise_contracts import AssessmentRecorded, AssessmentVoided, Envelope, derive_event_id
from pathwise_contracts.ids import assessment_id as derive_assessment_id
from pathwise_devstack.service_fixtures import rostered
from pathwise_devstack.stack import Infrastructure

pytestmark = pytest.mark.integration

Auth = Callable[..., dict[str, str]]
Published = Callable[[UUID], Awaitable[list[Envelope]]]
WaitUntil = Callable[..., Awaitable[None]]


def result(student: str, source_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "student_id": student,
        "competency_id": "3.OA.A.1",
        "score": 3,
        "max_score": 4,
        "occurred_at": "2026-09-01T10:00:00+02:00",
        "source": "canvas",
        "source_id": source_id,
        **changes,
    }


async def test_a_result_is_published_projected_and_deduplicated(
    service: Any, auth: Auth, published: Published, wait_until: WaitUntil
) -> None:
    client, teacher = service.client, auth("teacher", "d1")
    student = f"stu-{secrets.token_hex(4)}"
    await rostered(service, student)
    first = result(student, f"{student}/1")

    r = await client.post("/v1/assessments", json=first, headers=teacher)
    assert r.status_code == 201, r.text
    assessment_id = derive_assessment_id("d1", "canvas", f"{student}/1")
    assert r.json() == {"assessment_id": str(assessment_id), "status": "recorded"}

    async def on_topic() -> bool:
        return bool(await published(assessment_id))

    await wait_until(on_topic)
    [envelope] = await published(assessment_id)
    event = envelope.event()
    assert isinstance(event, AssessmentRecorded)
    assert (envelope.subject, envelope.districtid, event.score) == (student, "d1", 3)
    assert envelope.source == service.runtime.source

    async def projected() -> bool:
        r = await client.get(f"/v1/assessments/{assessment_id}", headers=teacher)
        return bool(r.is_success)

    await wait_until(projected)
    view = (await client.get(f"/v1/assessments/{assessment_id}", headers=teacher)).json()
    assert datetime.fromisoformat(view["recorded_at"]) == envelope.time
    assert datetime.fromisoformat(view["occurred_at"]) == datetime(2026, 9, 1, 8, tzinfo=UTC)
    assert view["voided"] is False

    # The same result again, in another notation: a duplicate, not a second event.
    again = {**first, "score": 3.0, "occurred_at": "2026-09-01T08:00:00Z"}
    r = await client.post("/v1/assessments", json=again, headers=teacher)
    assert (r.status_code, r.json()["status"]) == (200, "duplicate")
    r = await client.post("/v1/assessments", json={**first, "score": 1}, headers=teacher)
    assert r.status_code == 409
    assert r.json()["type"] == "urn:pathwise:problem:assessment-conflict"

    later = result(student, f"{student}/2", occurred_at="2026-09-02T10:00:00Z", score=4)
    assert (await client.post("/v1/assessments", json=later, headers=teacher)).status_code == 201

    async def both_listed() -> bool:
        r = await client.get(f"/v1/students/{student}/assessments", headers=teacher)
        return len(r.json()["assessments"]) == 2

    await wait_until(both_listed)
    listed = (await client.get(f"/v1/students/{student}/assessments", headers=teacher)).json()
    assert [a["source_id"] for a in listed["assessments"]] == [f"{student}/2", f"{student}/1"]

    async def all_published() -> bool:  # the reads above are logged through the outbox too
        return await service.runtime.relay.pending() == 0

    await wait_until(all_published)
    assert len(await published(assessment_id)) == 1


async def test_a_voided_result_stays_listed_but_flagged(
    service: Any,
    auth: Auth,
    published: Published,
    wait_until: WaitUntil,
    infrastructure: Infrastructure,
) -> None:
    client, admin = service.client, auth("admin", "d1")
    student = f"stu-{secrets.token_hex(4)}"
    r = await client.post("/v1/assessments", json=result(student, f"{student}/1"), headers=admin)
    assessment_id = r.json()["assessment_id"]
    url = f"/v1/assessments/{assessment_id}"

    async def projected() -> bool:
        return bool((await client.get(url, headers=admin)).is_success)

    # Published on its own, so the void below is a separate produce request:
    # the embedded broker under-reports end offsets after multi-record batches.
    await wait_until(projected)

    elsewhere = auth("admin", "d2")
    assert (
        await client.post(f"{url}/void", json={"reason": "x"}, headers=elsewhere)
    ).status_code == 404
    r = await client.post(f"{url}/void", json={"reason": "entered_in_error"}, headers=admin)
    assert (r.status_code, r.json()["status"]) == (200, "voided")
    r = await client.post(f"{url}/void", json={"reason": "entered_in_error"}, headers=admin)
    assert (r.status_code, r.json()["status"]) == (200, "already_voided")

    async def voided() -> bool:
        r = await client.get(url, headers=admin)
        return bool(r.is_success and r.json()["voided"])

    await wait_until(voided)
    assert (await client.get(url, headers=admin)).json()["void_reason"] == "entered_in_error"
    assert (await client.get(url, headers=elsewhere)).status_code == 404
    listed = await client.get(f"/v1/students/{student}/assessments", headers=elsewhere)
    assert listed.json()["assessments"] == []
    [void] = await published(derive_event_id(UUID(assessment_id), "void"))
    assert isinstance(void.event(), AssessmentVoided)
    await replays_identically(service, infrastructure)
