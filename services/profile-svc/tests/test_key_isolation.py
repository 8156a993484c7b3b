"""Keys per (district, kind, subject): one district's erasure or token never reaches another's."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest

from pathwise_contracts import EncryptedValue, Envelope, GuardianLinked, StudentEnrolled
from pathwise_devstack import sample_district
from pathwise_devstack.service_fixtures import shared_service
from profile_svc.adapters.personal import PersonalData
from profile_svc.main import SPEC

pytestmark = [pytest.mark.integration, pytest.mark.isolation]
service = shared_service(SPEC)  # each test enrolls subjects of its own

Auth = Callable[..., dict[str, str]]


def _enrollment(student: str, guardian: str, email: str) -> dict[str, Any]:
    return {
        "student_id": student,
        "section_ids": [f"{student}-math"],
        "display_name": f"Pupil {student}",
        "guardians": [
            {
                "guardian_id": guardian,
                "relationship": "mother",
                "email": email,
                "consent": {"email": True},
            }
        ],
    }


async def _queued(service: Any, student: str) -> list[Any]:
    """The student's events waiting in (or sent from) the outbox, in order."""
    async with service.runtime.pool.acquire() as conn:
        rows = await conn.fetch("SELECT payload FROM pathwise_outbox ORDER BY seq")
    events = [Envelope.from_bytes(bytes(r["payload"])).event() for r in rows]
    return [e for e in events if getattr(e, "student_id", None) == student]


async def _email_of(service: Any, student: str) -> EncryptedValue:
    link = next(e for e in await _queued(service, student) if isinstance(e, GuardianLinked))
    assert link.email is not None
    return link.email


async def _open(service: Any, auth: Auth, district: str, *values: EncryptedValue) -> list[Any]:
    r = await service.client.post(
        "/v1/personal-data/open",
        json={"values": [v.model_dump(mode="json") for v in values]},
        headers=auth("service", district, sub="notify-svc"),
    )
    assert r.status_code == 200, r.text
    return list(r.json()["values"])


async def _two_districts_one_guardian_id(service: Any, auth: Auth) -> tuple[str, str, str]:
    """A guardian id both districts' rosters use, each for their own person."""
    guardian = f"g-{secrets.token_hex(4)}"
    a, b = f"a-{secrets.token_hex(4)}", f"b-{secrets.token_hex(4)}"
    for district, student, email in (("d1", a, "ann@example.org"), ("d2", b, "bea@example.org")):
        body = _enrollment(student, guardian, email)
        r = await service.client.post("/v1/students", json=body, headers=auth("admin", district))
        assert r.status_code == 201, r.text
    return guardian, a, b


async def test_two_districts_guardians_with_one_id_have_separate_keys(
    service: Any, auth: Auth
) -> None:
    guardian, a, b = await _two_districts_one_guardian_id(service, auth)
    ann, bea = await _email_of(service, a), await _email_of(service, b)
    assert ann.kid != bea.kid
    assert guardian not in ann.kid and guardian not in bea.kid  # a kid names nobody
    assert await _open(service, auth, "d1", ann) == ["ann@example.org"]
    assert await _open(service, auth, "d2", bea) == ["bea@example.org"]


async def test_erasing_a_guardian_in_one_district_leaves_the_other_districts_namesake(
    service: Any, auth: Auth
) -> None:
    guardian, a, b = await _two_districts_one_guardian_id(service, auth)
    ann, bea = await _email_of(service, a), await _email_of(service, b)
    path = f"/v1/students/{a}/guardians/{guardian}"
    assert (await service.client.delete(path, headers=auth("admin", "d1"))).status_code == 204
    assert await _open(service, auth, "d1", ann) == [None]
    assert await _open(service, auth, "d2", bea) == ["bea@example.org"]


async def test_a_service_token_opens_only_its_own_districts_contacts(
    service: Any, auth: Auth
) -> None:
    _, a, b = await _two_districts_one_guardian_id(service, auth)
    ann, bea = await _email_of(service, a), await _email_of(service, b)
    assert await _open(service, auth, "d2", ann) == [None]
    assert await _open(service, auth, "d1", bea, ann) == [None, "ann@example.org"]


async def test_a_service_token_cannot_open_a_students_own_data(service: Any, auth: Auth) -> None:
    _, a, _ = await _two_districts_one_guardian_id(service, auth)
    enrolled = next(e for e in await _queued(service, a) if isinstance(e, StudentEnrolled))
    assert enrolled.display_name is not None
    assert await _open(service, auth, "d1", enrolled.display_name) == [None]


async def test_a_key_is_per_kind_within_a_district(service: Any) -> None:
    """A student and a guardian who share an id do not share a key, nor its erasure."""
    personal = PersonalData(service.runtime.settings)
    same = f"x-{secrets.token_hex(4)}"
    async with service.runtime.pool.acquire() as conn:
        vault = await personal.vault(conn, "d1", students=[same], guardians=[same])
        note = vault.seal_student(same, "likes fractions")
        phone = vault.seal_guardian(same, "+15550001111")
        assert note.kid != phone.kid
        assert await personal.keystore.destroy(conn, "d1", "student", [same]) == 1
        after = await personal.vault(conn, "d1", kids=[note.kid, phone.kid])
    assert after.open(note) is None
    assert after.open(phone) == "+15550001111"


async def test_the_same_subject_in_two_districts_gets_two_keys(service: Any) -> None:
    personal = PersonalData(service.runtime.settings)
    same = f"s-{secrets.token_hex(4)}"
    async with service.runtime.pool.acquire() as conn:
        one = (await personal.vault(conn, "d1", students=[same])).seal_student(same, "one")
        two = (await personal.vault(conn, "d2", students=[same])).seal_student(same, "two")
        await personal.keystore.destroy(conn, "d1", "student", [same])
        seen_by_d2 = await personal.vault(conn, "d2", kids=[one.kid, two.kid])
    assert one.kid != two.kid
    assert seen_by_d2.open(one) is None  # d1's key is gone, and was never d2's
    assert seen_by_d2.open(two) == "two"


async def test_an_erased_guardian_stays_erased_across_roster_imports(
    service: Any, auth: Auth, wait_until: Callable[..., Any]
) -> None:
    client, admin = service.client, auth("admin", "d1")
    prefix = f"t{secrets.token_hex(3)}-"
    package = sample_district.to_zip(sample_district.generate(3, seed=7, prefix=prefix))
    zipped = {**admin, "Content-Type": "application/zip"}
    assert (await client.post("/v1/rosters/oneroster", content=package, headers=zipped)).is_success
    student = f"{prefix}stu-00001"
    url = f"/v1/students/{student}"

    async def projected() -> bool:
        return (await client.get(url, headers=admin)).is_success

    await wait_until(projected)
    view = (await client.get(url, headers=admin)).json()
    guardian = view["guardians"][0]["guardian_id"]
    path = f"/v1/students/{student}/guardians/{guardian}"
    assert (await client.delete(path, headers=admin)).status_code == 204

    async def unlinked() -> bool:
        view = (await client.get(url, headers=admin)).json()
        return guardian not in [g["guardian_id"] for g in view["guardians"]]

    await wait_until(unlinked)
    r = await client.post("/v1/rosters/oneroster", content=package, headers=zipped)
    assert r.status_code == 200, r.text
    reasons = [x["reason"] for x in r.json()["rejected"] if x["field"] == "guardian"]
    assert reasons and all(guardian in x and "erased" in x for x in reasons)
    linked = [e for e in await _queued(service, student) if isinstance(e, GuardianLinked)]
    assert [e.guardian_id for e in linked].count(guardian) == 1  # the first import only

    body = _enrollment(f"n-{secrets.token_hex(4)}", guardian, "again@example.org")
    r = await client.post("/v1/students", json=body, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "guardians.0.guardian_id"
    other = await client.post("/v1/students", json=body, headers=auth("admin", "d2"))
    assert other.status_code == 201  # d2's namesake is another person
