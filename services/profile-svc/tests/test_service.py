"""The service end to end in-process: HTTP command -> outbox -> topic -> projection -> HTTP."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest

from pathwise_contracts import (
    Envelope,
    GuardianLinked,
    StudentEnrolled,
    derive_event_id,
)

pytestmark = pytest.mark.integration

Auth = Callable[..., dict[str, str]]
Published = Callable[[UUID], Awaitable[list[Envelope]]]
WaitUntil = Callable[..., Awaitable[None]]
Replayed = Callable[[str, Sequence[str]], Awaitable[None]]


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
    database: Callable[[], str],
    replayed: Replayed,
) -> None:
    client, admin = service.client, auth("admin", "d1")
    student = f"stu-{secrets.token_hex(4)}"
    body = enrollment(student)

    r = await client.post("/v1/students", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.headers["etag"] == '"1"'
    assert r.json() == {"student_id": student, "status": "enrolled"}

    enrolled_id = derive_event_id("enroll", "d1", student)
    mother_id = derive_event_id("guardian", "d1", student, f"{student}-mother")

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
    teacher = auth("teacher")
    assert (await client.get(f"/v1/students/{student}", headers=teacher)).status_code == 404
    r = await client.put(
        "/v1/sections/ela-5a/teachers", json={"teacher_ids": ["dev-teacher"]}, headers=admin
    )
    assert r.status_code == 204
    profile = (await client.get(f"/v1/students/{student}", headers=teacher)).json()
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

    async def all_published() -> bool:  # reads are logged through the outbox too
        return await service.runtime.relay.pending() == 0

    await wait_until(all_published)
    assert len(await published(enrolled_id)) == 1

    elsewhere = auth("admin", "d2")
    assert (await client.get(f"/v1/students/{student}", headers=elsewhere)).status_code == 404
    unknown = await client.get("/v1/students/nobody-here", headers=admin)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    await replayed(database(), ("students", "guardians"))
