"""Learner-profile commands over HTTP: events, ETags, who sees what, consent, erasure, replay."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from pathwise_contracts import (
    PROFILE_EVENTS,
    Envelope,
    GuardianLinked,
    StudentEnrolled,
    SubjectErased,
)
from pathwise_runtime.settings import ServiceSettings
from profile_svc.adapters.personal import PersonalData

pytestmark = pytest.mark.integration

Auth = Callable[..., dict[str, str]]
WaitUntil = Callable[..., Awaitable[None]]
Replayed = Callable[[str, Sequence[str]], Awaitable[None]]


def enrollment(student: str) -> dict[str, Any]:
    return {
        "student_id": student,
        "school_id": "sch-1",
        "grade": "5",
        "section_ids": [f"{student}-math"],
        "display_name": "Grace Hopper",
        "external_ids": {"sis": f"sis-{student}", "oneroster": f"or-{student}"},
        "guardians": [
            {
                "guardian_id": f"{student}-mum",
                "relationship": "mother",
                "email": "grace.mum@example.org",
                "consent": {"email": True},
            },
            {
                "guardian_id": f"{student}-step",
                "relationship": "stepfather",
                "educational_rights": False,
                "phone": "+15557654321",
            },
        ],
    }


async def _all_records(bootstrap: str) -> list[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(PROFILE_EVENTS.name, p) for p in range(PROFILE_EVENTS.partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        out: list[bytes] = []
        while fetched := await consumer.getmany(timeout_ms=1000):
            out.extend(r.value or b"" for records in fetched.values() for r in records)
        return out
    finally:
        await consumer.stop()


async def test_profile_commands_access_consent_and_erasure(
    service: Any,
    auth: Auth,
    wait_until: WaitUntil,
    replayed: Replayed,
    database: Callable[[], str],
    kafka_bootstrap: str,
) -> None:
    client, admin = service.client, auth("admin", "d1")
    student = f"stu-{secrets.token_hex(4)}"
    base = f"/v1/students/{student}"
    assert (await client.post("/v1/students", json=enrollment(student), headers=admin)).is_success

    # Commands: each bumps the version; a stale If-Match is refused with 412.
    r = await client.put(
        f"{base}/strengths-and-needs",
        json={"strengths": ["visual_reasoning"], "needs": ["reading_fluency"]},
        headers={**admin, "If-Match": '"1"'},
    )
    assert (r.status_code, r.headers["etag"]) == (200, '"2"'), r.text
    r = await client.put(
        f"{base}/interests", json={"interests": ["space"]}, headers={**admin, "If-Match": '"1"'}
    )
    assert r.status_code == 412
    assert r.json()["current"] == '"2"'
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("put", "interests", {"interests": ["space", "music"]}),
        ("put", "modality-preferences", {"preferred": ["small_group_project"], "avoided": []}),
        (
            "put",
            "accommodations",
            {
                "requirements": ["extended_time", "read_aloud"],
                "plans": [{"kind": "504", "details": "Dyslexia: text-to-speech for tests"}],
            },
        ),
        (
            "put",
            "goals/fractions",
            {
                "competency_ids": ["math.5.nf.1"],
                "target_date": "2027-01-31",
                "agreed_by": ["student", "teacher"],
                "note": "Grace wants to bake with fractions",
            },
        ),
        (
            "put",
            f"guardians/{student}-mum/contact",
            {
                "email": "grace.mum@example.org",
                "language": "es",
                "time_zone": "America/Chicago",
                "quiet_hours": {"start": "21:00", "end": "07:00"},
                "frequency": {"email": "daily_digest", "sms": "off"},
            },
        ),
        (
            "post",
            f"guardians/{student}-mum/consent",
            {"channel": "email", "granted": False, "source": "email_link"},
        ),
    ]
    version = 2
    for method, path, body in steps:
        headers = {**admin, "If-Match": f'"{version}"'}
        r = await client.request(method.upper(), f"{base}/{path}", json=body, headers=headers)
        version += 1
        assert (r.status_code, r.headers["etag"]) == (200, f'"{version}"'), (path, r.text)

    # The student writes a reflection about themself; a stranger student cannot.
    me = auth("student", "d1", sub=student)
    reflection = {"reflection_id": "r1", "text": "I get fractions now", "confidence": 3}
    r = await client.post(f"{base}/reflections", json=reflection, headers=me)
    assert r.status_code == 200, r.text
    version += 1
    other = auth("student", "d1", sub="someone-else")
    assert (
        await client.post(f"{base}/reflections", json=reflection, headers=other)
    ).status_code == 404

    async def caught_up() -> bool:
        r = await client.get(base, headers=admin)
        return r.is_success and r.headers["etag"] == f'"{version}"'

    await wait_until(caught_up)
    profile = (await client.get(base, headers=admin)).json()
    assert profile["interests"] == ["space", "music"]
    assert profile["needs"] == ["reading_fluency"]
    assert profile["modality_preferred"] == ["small_group_project"]
    assert profile["external_ids"]["oneroster"] == f"or-{student}"
    assert profile["accommodation_plans"][0]["details"].startswith("Dyslexia")
    assert profile["goals"][0]["note"] == "Grace wants to bake with fractions"
    assert profile["reflections"][0]["text"] == "I get fractions now"
    # A code outside the catalogue refuses the whole command: nothing is applied.
    bad = {"requirements": ["read_aloud", "extra_recess"], "plans": []}
    headers = {**admin, "If-Match": f'"{version}"'}
    r = await client.put(f"{base}/accommodations", json=bad, headers=headers)
    assert r.status_code == 422 and "'extra_recess'" in r.json()["errors"][0]["detail"]
    after = await client.get(base, headers=admin)
    assert after.headers["etag"] == f'"{version}"'
    assert after.json()["accommodation_requirements"] == ["extended_time", "read_aloud"]
    mum = next(g for g in profile["guardians"] if g["relationship"] == "mother")
    assert (mum["language"], mum["time_zone"], mum["consent"]) == (
        "es",
        "America/Chicago",
        {"email": False, "sms": False},
    )
    assert mum["frequency"] == {"email": "daily_digest", "sms": "off"}
    history = await client.get(f"{base}/guardians/{student}-mum/consent-history", headers=admin)
    assert [(h["channel"], h["granted"], h["source"]) for h in history.json()] == [
        ("email", False, "email_link")
    ]

    # Who sees what: 404 for everyone who may not, never 403.
    denied = [
        auth("teacher", "d1"),  # teaches no section of this student
        auth("admin", "d2"),
        auth("guardian", "d1", sub=f"{student}-step"),  # no educational rights
        auth("guardian", "d1", sub="a-stranger"),
        other,
    ]
    for headers in denied:
        assert (await client.get(base, headers=headers)).status_code == 404
    await client.put(
        f"/v1/sections/{student}-math/teachers", json={"teacher_ids": ["t-1"]}, headers=admin
    )
    for headers in (
        auth("teacher", "d1", sub="t-1"),
        auth("guardian", "d1", sub=f"{student}-mum"),
        me,
    ):
        assert (await client.get(base, headers=headers)).status_code == 200
    as_mum = (await client.get(base, headers=auth("guardian", "d1", sub=f"{student}-mum"))).json()
    assert [g["relationship"] for g in as_mum["guardians"]] == ["mother"]
    assert (await client.get(base, headers=me)).json()["guardians"] == []
    log = (await client.get(f"/v1/access-log?student_id={student}", headers=admin)).json()
    assert {(e["role"], e["actor"]) for e in log} >= {("teacher", "t-1"), ("student", student)}
    assert (await client.get("/v1/access-log", headers=auth("teacher", "d1"))).status_code == 403

    # Erasing a guardian: the person, so every link (here also a sibling's), and their key.
    sibling = f"stu-{secrets.token_hex(4)}"
    twin = {**enrollment(sibling), "guardians": enrollment(student)["guardians"][:1]}
    assert (await client.post("/v1/students", json=twin, headers=admin)).is_success
    mine = [r for r in await _all_records(kafka_bootstrap) if f"{student}-mum".encode() in r]
    linked = [e.event() for e in map(Envelope.from_bytes, mine)]
    mum_emails = [
        g.email
        for g in linked
        if isinstance(g, GuardianLinked) and g.guardian_id == f"{student}-mum" and g.email
    ]
    assert len(mum_emails) == 2 and all(v.kid.startswith("dek:") for v in mum_emails)
    sealed = {"values": [v.model_dump(mode="json") for v in mum_emails]}
    service_auth = auth("service", "d1", sub="notify-svc")
    r = await client.post("/v1/personal-data/open", json=sealed, headers=service_auth)
    assert r.json()["values"] == ["grace.mum@example.org"] * 2
    mum_path = f"{base}/guardians/{student}-mum"
    assert (await client.delete(mum_path, headers=auth("teacher", "d1"))).status_code == 404
    assert (await client.delete(mum_path, headers=admin)).status_code == 204
    assert (await client.delete(mum_path, headers=admin)).status_code == 404
    r = await client.post("/v1/personal-data/open", json=sealed, headers=service_auth)
    assert r.json()["values"] == [None, None]  # the ciphertext on Kafka is noise now

    async def unlinked() -> bool:
        views = [await client.get(f"/v1/students/{s}", headers=admin) for s in (student, sibling)]
        return all(v.is_success for v in views) and [
            [g["relationship"] for g in v.json()["guardians"]] for v in views
        ] == [["stepfather"], []]

    await wait_until(unlinked)
    mine = [r for r in await _all_records(kafka_bootstrap) if f"{student}-mum".encode() in r]
    erasures = [e.event() for e in map(Envelope.from_bytes, mine)]
    assert sorted(
        e.student_id
        for e in erasures
        if isinstance(e, SubjectErased) and e.subject_id == f"{student}-mum"
    ) == sorted([student, sibling])

    # Erasure: keys destroyed, SubjectErased published, rows gone, ciphertext unreadable.
    stored = [r for r in await _all_records(kafka_bootstrap) if student.encode() in r]
    enrolled = next(
        e.event()
        for e in map(Envelope.from_bytes, stored)
        if isinstance(e.event(), StudentEnrolled)
    )
    assert isinstance(enrolled, StudentEnrolled) and enrolled.display_name is not None
    personal = PersonalData(service.runtime.settings)
    async with service.runtime.pool.acquire() as conn:
        vault = await personal.vault(conn, "d1", kids=[enrolled.display_name.kid])
    assert vault.open(enrolled.display_name) == "Grace Hopper"

    assert (await client.delete(base, headers=auth("teacher", "d1", sub="t-1"))).status_code == 403
    assert (await client.delete(base, headers=admin)).status_code == 204
    assert (await client.delete(base, headers=admin)).status_code == 404

    async def gone() -> bool:
        return (await client.get(base, headers=admin)).status_code == 404

    await wait_until(gone)
    async with service.runtime.pool.acquire() as conn:
        vault = await personal.vault(conn, "d1", kids=[enrolled.display_name.kid])
        assert (
            await conn.fetchval("SELECT count(*) FROM access_log WHERE student_id = $1", student)
            == 0
        )
    assert vault.open(enrolled.display_name) is None
    again = PersonalData(ServiceSettings(PATHWISE_AUTH_DEV_SECRET="x" * 32))  # the same master
    async with service.runtime.pool.acquire() as conn:
        assert (await again.vault(conn, "d1", kids=[enrolled.display_name.kid])).open(
            enrolled.display_name
        ) is None
    records = await _all_records(kafka_bootstrap)
    assert any(
        isinstance(Envelope.from_bytes(r).event(), SubjectErased)
        for r in records
        if student.encode() in r
    )
    # Spaces, '@' and '+' never occur in base64url, so these cannot match ciphertext by chance.
    for raw in records:
        for secret in (b"Grace Hopper", b"Dyslexia:", b"fractions now", b"mum@", b"+1555"):
            assert secret not in raw
    assert (
        await client.post("/v1/students", json=enrollment(student), headers=admin)
    ).status_code == 409

    # A replay of the whole log rebuilds every table equal to the live one, without the student.
    await replayed(database(), ())
    async with service.runtime.pool.acquire() as conn:
        for table in ("students", "guardians", "goals", "reflections", "consent_history"):
            n = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE student_id = $1", student)
            assert n == 0, table
