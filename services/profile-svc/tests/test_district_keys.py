"""One student id in two districts is two students: commands, projections and reads of
one district never reach the other's, and an erasure in one leaves the other whole."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from uuid import uuid4

import pytest

from pathwise_contracts import Envelope, MasteryUpdated
from pathwise_runtime import outbox

pytestmark = pytest.mark.integration

Auth = Callable[..., dict[str, str]]
WaitUntil = Callable[..., Awaitable[None]]
Replayed = Callable[[str, Sequence[str]], Awaitable[None]]


def enrollment(student: str, grade: str, email: str) -> dict[str, Any]:
    return {
        "student_id": student,
        "school_id": "sch-1",
        "grade": grade,
        "section_ids": ["math-5a"],
        "display_name": f"Twin of grade {grade}",
        "guardians": [
            {
                "guardian_id": f"{student}-mum",
                "relationship": "mother",
                "email": email,
                "consent": {"email": True},
            }
        ],
    }


async def _mastery(service: Any, district: str, student: str, competency: str) -> None:
    event = MasteryUpdated(
        student_id=student,
        competency_id=competency,
        p_mastery=0.8,
        previous=0.5,
        evidence_id=uuid4(),
        level="proficient",
    )
    async with service.runtime.pool.acquire() as conn, conn.transaction():
        await outbox.add_events(
            conn, [Envelope.wrap(event, id=uuid4(), source="test", district_id=district)]
        )


async def _districts(service: Any, table: str, student: str) -> set[str]:
    async with service.runtime.pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT DISTINCT district_id FROM {table} WHERE student_id = $1", student
        )
    return {r["district_id"] for r in rows}


@pytest.mark.isolation
async def test_a_student_id_two_districts_use_stays_two_students(
    service: Any,
    auth: Auth,
    wait_until: WaitUntil,
    database: Callable[[], str],
    replayed: Replayed,
) -> None:
    client, one, two = service.client, auth("admin", "d1"), auth("admin", "d2")
    twin = f"twin-{secrets.token_hex(4)}"
    for headers, grade, email in ((one, "5", "one@example.org"), (two, "7", "two@example.org")):
        r = await client.post("/v1/students", json=enrollment(twin, grade, email), headers=headers)
        assert r.status_code == 201, r.text

    # District 2 changes its student; district 1's stays as it was enrolled.
    r = await client.put(
        f"/v1/students/{twin}/interests", json={"interests": ["chess"]}, headers=two
    )
    assert (r.status_code, r.headers["etag"]) == (200, '"2"'), r.text
    await _mastery(service, "d2", twin, "math.3.oa.1")

    async def seen_by(headers: dict[str, str]) -> dict[str, Any]:
        r = await client.get(f"/v1/students/{twin}", headers=headers)
        body: dict[str, Any] = r.json() if r.status_code == 200 else {}
        return body

    async def changed_in_two() -> bool:
        view = await seen_by(two)
        return view.get("interests") == ["chess"] and view["mastery"]["competencies"] == 1

    await wait_until(changed_in_two)
    await wait_until(lambda: seen_by(one))
    mine = await seen_by(one)
    assert (mine["district_id"], mine["grade"], mine["version"]) == ("d1", "5", 1)
    assert (mine["interests"], mine["mastery"]["competencies"]) == ([], 0)
    assert mine["guardians"][0]["email"] == "one@example.org"

    # Erasing district 1's student leaves district 2's namesake whole, keys included.
    assert (await client.delete(f"/v1/students/{twin}", headers=one)).status_code == 204
    assert (await client.get(f"/v1/students/{twin}", headers=one)).status_code == 404
    await _mastery(service, "d1", twin, "math.3.oa.2")  # late: stays out
    await _mastery(service, "d2", twin, "math.3.oa.2")

    async def erased_in_one() -> bool:
        view = await seen_by(two)
        return (
            await _districts(service, "students", twin) == {"d2"}
            and view.get("mastery", {}).get("competencies") == 2
        )

    await wait_until(erased_in_one)
    for table in ("guardians", "mastery", "student_teachers"):
        assert await _districts(service, table, twin) <= {"d2"}, table
    theirs = await seen_by(two)
    assert (theirs["grade"], theirs["interests"]) == ("7", ["chess"])
    assert theirs["display_name"] == "Twin of grade 7"
    assert theirs["guardians"][0]["email"] == "two@example.org"
    r = await client.put(f"/v1/students/{twin}/interests", json={"interests": []}, headers=two)
    assert (r.status_code, r.headers["etag"]) == (200, '"3"'), r.text
    again = await client.post(
        "/v1/students", json=enrollment(twin, "5", "one@example.org"), headers=one
    )
    assert again.json()["type"] == "urn:pathwise:problem:student-erased"
    await replayed(database(), ("students", "guardians", "mastery", "erased_students"))
