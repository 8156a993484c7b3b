"""TeachersAssigned: a student's teachers told to the log when they change, and only then."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest

from pathwise_contracts import Envelope, TeachersAssigned
from pathwise_devstack import sample_district
from pathwise_devstack.service_fixtures import shared_service
from profile_svc.main import SPEC

pytestmark = pytest.mark.integration
service = shared_service(SPEC)  # each test uses subjects of its own

Auth = Callable[..., dict[str, str]]


async def _assigned(service: Any, student: str | None = None) -> list[tuple[str, TeachersAssigned]]:
    """TeachersAssigned queued in the outbox (optionally for one student), in order."""
    async with service.runtime.pool.acquire() as conn:
        rows = await conn.fetch("SELECT event_id, payload FROM pathwise_outbox ORDER BY seq")
    found = []
    for row in rows:
        envelope = Envelope.from_bytes(bytes(row["payload"]))
        event = envelope.event()
        if isinstance(event, TeachersAssigned) and student in (None, event.student_id):
            found.append((str(row["event_id"]), event))
    return found


async def _open(service: Any, auth: Auth, event: TeachersAssigned) -> dict[str, str | None]:
    values = [t.email.model_dump(mode="json") for t in event.teachers if t.email]
    r = await service.client.post(
        "/v1/personal-data/open", json={"values": values}, headers=auth("service", "d1")
    )
    opened = iter(r.json()["values"])
    return {t.teacher_id: next(opened) if t.email else None for t in event.teachers}


async def test_section_teachers_and_sections_reach_the_log_once(service: Any, auth: Auth) -> None:
    client, admin = service.client, auth("admin", "d1")
    student = f"s-{secrets.token_hex(4)}"
    math, art = f"{student}-math", f"{student}-art"
    body = {"student_id": student, "section_ids": [math], "guardians": []}
    assert (await client.post("/v1/students", json=body, headers=admin)).status_code == 201
    assert await _assigned(service, student) == []  # no teachers yet: nothing to say

    put = {"teacher_ids": ["t-a", "t-b"], "emails": {"t-a": "T-A@School.example"}}
    assert (await client.put(f"/v1/sections/{math}/teachers", json=put, headers=admin)).is_success
    ((_, first),) = await _assigned(service, student)
    assert [t.teacher_id for t in first.teachers] == ["t-a", "t-b"]
    assert await _open(service, auth, first) == {"t-a": "T-A@School.example", "t-b": None}
    assert first.teachers[0].email is not None and first.teachers[0].email.kid.startswith("dek:")

    # The same assignment again, or the old body without emails: nothing new.
    await client.put(f"/v1/sections/{math}/teachers", json=put, headers=admin)
    old_body = {"teacher_ids": ["t-b", "t-a"]}
    assert (
        await client.put(f"/v1/sections/{math}/teachers", json=old_body, headers=admin)
    ).is_success
    assert len(await _assigned(service, student)) == 1

    # A teacher's new address and another section's teacher reach the student.
    await client.put(
        f"/v1/sections/{art}/teachers",
        json={"teacher_ids": ["t-c", "t-b"], "emails": {"t-b": "t-b@school.example"}},
        headers=admin,
    )
    events = await _assigned(service, student)
    assert len(events) == 2
    assert await _open(service, auth, events[-1][1]) == {
        "t-a": "T-A@School.example",
        "t-b": "t-b@school.example",
    }  # t-c teaches art, which the student is not in (yet)

    bad = {"teacher_ids": ["t-a"], "emails": {"t-z": "t-z@school.example"}}
    r = await client.put(f"/v1/sections/{math}/teachers", json=bad, headers=admin)
    assert r.status_code == 422 and "emails" in r.json()["detail"]
    bad = {"teacher_ids": ["t-a"], "emails": {"t-a": "not an address"}}
    assert (
        await client.put(f"/v1/sections/{math}/teachers", json=bad, headers=admin)
    ).status_code == 422

    # Back to the first set later still gets its own event (ids name the step, not the set).
    await client.put(f"/v1/sections/{art}/teachers", json={"teacher_ids": []}, headers=admin)
    await client.put(
        f"/v1/sections/{math}/teachers",
        json={"teacher_ids": ["t-a", "t-b"], "emails": {"t-b": "t-b@school.example"}},
        headers=admin,
    )
    ids = [i for i, _ in await _assigned(service, student)]
    assert len(ids) == len(set(ids)) == 2  # the art removal changed nothing for this student


async def test_roster_import_publishes_teacher_addresses_once(service: Any, auth: Auth) -> None:
    client, admin = service.client, auth("admin", "d1")
    prefix = f"t{secrets.token_hex(3)}-"
    files = sample_district.generate(6, seed=3, prefix=prefix)
    archive = sample_district.to_zip(files)
    r = await client.post(
        "/v1/rosters/oneroster",
        content=archive,
        headers={**admin, "Content-Type": "application/zip"},
    )
    assert r.is_success, r.text
    mine = [e for _, e in await _assigned(service) if e.student_id.startswith(prefix)]
    assert len(mine) == 6 and len({e.student_id for e in mine}) == 6
    sample = mine[0]
    (teacher,) = sample.teachers
    opened = await _open(service, auth, sample)
    assert opened == {teacher.teacher_id: f"{teacher.teacher_id}@district.example.org"}

    again = await client.post(
        "/v1/rosters/oneroster",
        content=archive,
        headers={**admin, "Content-Type": "application/zip"},
    )
    assert again.is_success
    assert len([e for _, e in await _assigned(service) if e.student_id.startswith(prefix)]) == 6
