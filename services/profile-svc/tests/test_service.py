"""The service end to end in-process: HTTP command -> outbox -> topic -> projection -> HTTP."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from pathwise_contracts import (
    PROFILE_EVENTS,
    Envelope,
    GuardianLinked,
    StudentEnrolled,
    derive_event_id,
)
from pathwise_devstack.stack import Infrastructure
from pathwise_runtime import replay
from pathwise_runtime.service import open_pool, prepare_database
from profile_svc.main import SPEC
from profile_svc.projections import ProfilesProjection

pytestmark = pytest.mark.integration

Auth = Callable[..., dict[str, str]]
Published = Callable[[UUID], Awaitable[list[Envelope]]]
WaitUntil = Callable[..., Awaitable[None]]


def enrollment(student: str) -> dict[str, Any]:
    return {
        "student_id": student,
        "school_id": "sch-1",
        "grade": "5",
        "section_ids": ["math-5a", "ela-5a"],
        "display_name": "Ada Lovelace",
        "guardians": [
            {
                "guardian_id": f"{student}-mother",
                "relationship": "mother",
                "email": "ada.mother@example.org",
                "language": "es",
                "consent": {"email": True, "sms": False},
            },
            {
                "guardian_id": f"{student}-father",
                "relationship": "father",
                "educational_rights": False,
                "phone": "+15551234567",
            },
        ],
    }


async def test_an_enrollment_is_published_projected_and_idempotent(
    service: Any,
    auth: Auth,
    published: Published,
    wait_until: WaitUntil,
    infrastructure: Infrastructure,
    database: Callable[[], str],
) -> None:
    client, admin = service.client, auth("admin", "d1")
    student = f"stu-{secrets.token_hex(4)}"
    body = enrollment(student)

    r = await client.post("/v1/students", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.headers["etag"] == '"1"'
    assert r.json() == {"student_id": student, "status": "enrolled"}

    enrolled_id = derive_event_id("enroll", student)
    mother_id = derive_event_id("guardian", student, f"{student}-mother")

    async def on_topic() -> bool:
        return bool(await published(mother_id))

    await wait_until(on_topic)
    [enrolled] = await published(enrolled_id)
    [mother] = await published(mother_id)
    assert isinstance(enrolled.event(), StudentEnrolled)
    assert isinstance(mother.event(), GuardianLinked)
    assert (enrolled.subject, enrolled.districtid) == (student, "d1")
    for envelope in (enrolled, mother):
        raw = envelope.to_bytes()
        assert b"Ada" not in raw and b"example.org" not in raw

    async def projected() -> bool:
        r = await client.get(f"/v1/students/{student}", headers=admin)
        return r.is_success and len(r.json()["guardians"]) == 2

    await wait_until(projected)
    profile = (await client.get(f"/v1/students/{student}", headers=auth("teacher"))).json()
    assert profile["display_name"] == "Ada Lovelace"
    assert profile["section_ids"] == ["math-5a", "ela-5a"]
    assert datetime.fromisoformat(profile["enrolled_at"]) == enrolled.time
    father, mom = profile["guardians"]
    assert (mom["email"], mom["language"], mom["consent"]) == (
        "ada.mother@example.org",
        "es",
        {"email": True, "sms": False},
    )
    assert (father["phone"], father["educational_rights"], father["email"]) == (
        "+15551234567",
        False,
        None,
    )
    async with service.runtime.pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT display_name::text FROM students WHERE student_id = $1", student
        )
    assert "Ada" not in stored

    # The same enrollment again (guardians reordered): no new events.
    again = {**body, "guardians": body["guardians"][::-1]}
    r = await client.post("/v1/students", json=again, headers=admin)
    assert (r.status_code, r.json()["status"], r.headers["etag"]) == (200, "unchanged", '"1"')
    r = await client.post("/v1/students", json={**body, "grade": "6"}, headers=admin)
    assert r.status_code == 409
    assert r.json()["type"] == "urn:pathwise:problem:student-conflict"
    assert await service.runtime.relay.pending() == 0
    assert len(await published(enrolled_id)) == 1

    elsewhere = auth("admin", "d2")
    assert (await client.get(f"/v1/students/{student}", headers=elsewhere)).status_code == 404
    unknown = await client.get("/v1/students/nobody-here", headers=admin)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    await replays_identically(service, infrastructure, database())


async def replays_identically(service: Any, infrastructure: Infrastructure, dsn: str) -> None:
    """Rebuilding the projection from the log alone gives the live rows.

    The horizon is read from the records themselves: the embedded broker reports
    too small an end offset after a multi-record batch (which the outbox relay
    sends for an enrollment), so ``pathwise replay`` would stop short here.
    """
    bootstrap = infrastructure.bootstrap_servers
    horizon = await _log_ends(bootstrap, PROFILE_EVENTS.name)
    await prepare_database(dsn, SPEC.migrations)
    pool = await open_pool(dsn, min_size=1, max_size=2)
    try:
        await replay.rebuild(ProfilesProjection(), pool, bootstrap, horizon)
        for table in ProfilesProjection.tables:
            diff = await replay.compare(service.runtime.pool, pool, table)
            assert diff.equal and diff.live_rows, diff
    finally:
        await pool.close()


async def _log_ends(bootstrap: str, topic: str) -> dict[tuple[str, int], int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PROFILE_EVENTS.partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = {(topic, p): 0 for p in range(PROFILE_EVENTS.partitions)}
        while fetched := await consumer.getmany(timeout_ms=1000):
            for tp, records in fetched.items():
                ends[(topic, tp.partition)] = records[-1].offset + 1
        return ends
    finally:
        await consumer.stop()
