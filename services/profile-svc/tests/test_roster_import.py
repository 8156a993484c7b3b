"""OneRoster import over HTTP, search, record export and the mastery summary, in-process."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from uuid import uuid4

import pytest

from pathwise_contracts import Envelope, MasteryUpdated
from pathwise_devstack import sample_district
from pathwise_runtime import outbox

pytestmark = pytest.mark.integration

Auth = Callable[..., dict[str, str]]
WaitUntil = Callable[..., Awaitable[None]]
Replayed = Callable[[str, Sequence[str]], Awaitable[None]]

STUDENTS = 30


async def _outbox_rows(service: Any) -> int:
    async with service.runtime.pool.acquire() as conn:
        count: int = await conn.fetchval("SELECT count(*) FROM pathwise_outbox")
        return count


async def test_import_twice_delta_search_export_mastery_and_erasure(
    service: Any,
    auth: Auth,
    wait_until: WaitUntil,
    database: Callable[[], str],
    replayed: Replayed,
) -> None:
    client, admin = service.client, auth("admin", "d1")
    prefix = f"t{secrets.token_hex(3)}-"
    files = sample_district.generate(STUDENTS, seed=5, prefix=prefix)
    package = sample_district.to_zip(files)
    zipped = {**admin, "Content-Type": "application/zip"}

    r = await client.post("/v1/rosters/oneroster", content=package, headers=zipped)
    assert r.status_code == 200, r.text
    first = r.json()
    assert (first["created"], first["updated"], first["skipped"]) == (STUDENTS, 0, 0)
    assert first["rejected"] == []
    assert first["section_teachers"]["assigned"] == files["classes.csv"].count("\n") - 1
    queued = await _outbox_rows(service)

    r = await client.post("/v1/rosters/oneroster", content=package, headers=zipped)
    again = r.json()
    assert (again["created"], again["updated"], again["skipped"]) == (0, 0, STUDENTS)
    assert again["events"] == 0 and again["section_teachers"] == {"assigned": 0, "removed": 0}
    assert await _outbox_rows(service) == queued  # no second event

    first_student, second_student = f"{prefix}stu-00001", f"{prefix}stu-00002"
    delta = sample_district.to_zip(sample_district.withdrawal([second_student]))
    r = await client.post("/v1/rosters/oneroster", content=delta, headers=zipped)
    assert r.json()["withdrawn"] == 1, r.text

    async def projected() -> bool:
        r = await client.get(f"/v1/students/{second_student}", headers=admin)
        return r.status_code == 200 and r.json()["status"] == "withdrawn"

    await wait_until(projected)

    async def all_listed() -> bool:
        r = await client.get("/v1/students?limit=1000", headers=admin)
        return len([s for s in r.json() if s["student_id"].startswith(prefix)]) == STUDENTS

    await wait_until(all_listed)

    # A teacher finds only the students of their own section.
    teacher = auth("teacher", "d1", sub=f"{prefix}tch-001")
    r = await client.get("/v1/students", headers=teacher)
    found = r.json()
    assert found and all(s["section_ids"] == ["cls-1-3a"] for s in found)
    r = await client.get("/v1/students?section=cls-1-4a", headers=teacher)
    assert r.json() == []
    r = await client.get("/v1/students?school=sch-1&grade=3", headers=admin)
    assert {s["section_ids"][0] for s in r.json()} <= {"cls-1-3a", "cls-1-3b"}
    assert r.json()[0]["display_name"]  # decrypted for the answer

    # Mastery from path.events.v1 shows in the profile.
    mastery = MasteryUpdated(
        student_id=first_student,
        competency_id="math.3.oa.1",
        p_mastery=0.72,
        previous=0.5,
        evidence_id=uuid4(),
        level="proficient",
    )
    async with service.runtime.pool.acquire() as conn, conn.transaction():
        await outbox.add_events(
            conn, [Envelope.wrap(mastery, id=uuid4(), source="test", district_id="d1")]
        )

    async def has_mastery() -> bool:
        r = await client.get(f"/v1/students/{first_student}", headers=admin)
        return r.json()["mastery"]["competencies"] == 1

    await wait_until(has_mastery)

    # Export: admin yes, a guardian with rights yes, a teacher no.
    r = await client.get(f"/v1/students/{first_student}/record", headers=admin)
    assert r.status_code == 200, r.text
    record = r.json()
    assert record["profile"]["student_id"] == first_student
    assert record["profile"]["guardians"] and record["profile"]["guardians"][0]["email"]
    assert record["profile"]["mastery"]["items"][0]["level"] == "proficient"
    assert {"read", "export"} <= {e["action"] for e in record["access_log"]}
    guardian = record["profile"]["guardians"][0]
    as_guardian = auth("guardian", "d1", sub=guardian["guardian_id"])
    r = await client.get(f"/v1/students/{first_student}/record", headers=as_guardian)
    assert r.status_code == (200 if guardian["educational_rights"] else 404), r.text
    r = await client.get(f"/v1/students/{first_student}/record", headers=teacher)
    assert r.status_code == 403
    r = await client.get(f"/v1/students/{first_student}/record", headers=auth("admin", "d2"))
    assert r.status_code == 404

    # Erasure: gone from search, profile and mastery, also after replay.
    r = await client.delete(f"/v1/students/{first_student}", headers=admin)
    assert r.status_code == 204, r.text

    async def erased() -> bool:
        async with service.runtime.pool.acquire() as conn:
            left = await conn.fetchval(
                "SELECT count(*) FROM mastery WHERE student_id = $1", first_student
            )
            rows = await conn.fetchval(
                "SELECT count(*) FROM students WHERE student_id = $1", first_student
            )
        return left == 0 and rows == 0

    await wait_until(erased)
    r = await client.post("/v1/rosters/oneroster", content=package, headers=zipped)
    [refused] = r.json()["rejected"]
    assert refused["field"] == "sourcedId" and "erased" in refused["reason"]
    await replayed(database(), ("students", "guardians", "erased_students"))


async def test_rejected_rows_and_bad_packages_are_named(service: Any, auth: Auth) -> None:
    client, admin = service.client, auth("admin", "d1")
    zipped = {**admin, "Content-Type": "application/zip"}
    prefix = f"t{secrets.token_hex(3)}-"
    files = sample_district.generate(4, seed=2, prefix=prefix)
    files["users.csv"] = files["users.csv"].replace("@example.", "@@example.", 1)
    r = await client.post(
        "/v1/rosters/oneroster", content=sample_district.to_zip(files), headers=zipped
    )
    body = r.json()
    assert r.status_code == 200, r.text
    [bad] = [x for x in body["rejected"] if x["field"] == "email"]
    assert bad["file"] == "users.csv" and bad["row"] > 1 and "email" in bad["reason"]
    # the student who named that guardian is imported without them, and says so
    [link] = [x for x in body["rejected"] if x["field"] == "agentSourcedIds"]
    assert link["file"] == "users.csv"
    assert body["created"] == 4

    r = await client.post("/v1/rosters/oneroster", content=b"not a zip", headers=zipped)
    assert r.status_code == 422 and r.json()["detail"].startswith("body:")
    r = await client.post(
        "/v1/rosters/oneroster",
        content=sample_district.to_zip({"users.csv": "sourcedId\n"}),
        headers=zipped,
    )
    assert r.status_code == 422 and "manifest.csv" in r.json()["detail"]
    r = await client.post(
        "/v1/rosters/oneroster", content=b"{}", headers=admin | {"Content-Type": "application/json"}
    )
    assert r.status_code == 415
    teacher = {**auth("teacher", "d1"), "Content-Type": "application/zip"}
    r = await client.post("/v1/rosters/oneroster", content=b"", headers=teacher)
    assert r.status_code == 403


def _with_accommodations(files: dict[str, str], codes: dict[str, str]) -> dict[str, str]:
    header, *rows = files["users.csv"].splitlines()
    out = [f"{header},metadata.pathwise.accommodations"]
    out += [f"{line},{codes.get(line.split(',', 1)[0], '')}" for line in rows]
    return {**files, "users.csv": "\n".join(out) + "\n"}


async def test_accommodations_from_the_roster(
    service: Any, auth: Auth, wait_until: WaitUntil
) -> None:
    client, admin = service.client, auth("admin", "d1")
    zipped = {**admin, "Content-Type": "application/zip"}
    prefix = f"t{secrets.token_hex(3)}-"
    one, two = f"{prefix}stu-00001", f"{prefix}stu-00002"
    files = sample_district.generate(3, seed=4, prefix=prefix)
    package = _with_accommodations(files, {one: "read_aloud;extended_time:2", two: "naps"})
    r = await client.post(
        "/v1/rosters/oneroster", content=sample_district.to_zip(package), headers=zipped
    )
    body = r.json()
    [bad] = [x for x in body["rejected"] if x["field"] == "metadata.pathwise.accommodations"]
    assert "'naps'" in bad["reason"] and "read_aloud" in bad["reason"]

    async def projected() -> bool:
        r = await client.get(f"/v1/students/{one}", headers=admin)
        return r.is_success and r.json()["accommodation_requirements"] == [
            "extended_time:2",
            "read_aloud",
        ]

    await wait_until(projected)
    again = _with_accommodations(files, {one: "read_aloud;extended_time:2"})
    r = await client.post(
        "/v1/rosters/oneroster", content=sample_district.to_zip(again), headers=zipped
    )
    second = r.json()
    # Only the student refused before is new; the first one's codes are already so.
    assert (second["created"], second["updated"], second["rejected"]) == (1, 0, [])
