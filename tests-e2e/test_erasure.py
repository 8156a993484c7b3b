"""Erasure end to end: a student and a guardian erased in the middle of a stream.

The whole platform as processes. Ada (a student) and one guardian of Ben
(another) are erased while results about them are still arriving; then every
service is rebuilt from the log. Their names, emails, phones, SIS ids,
mboxes, plan details, teacher's notes and statements must be nowhere
readable: not in clear on any topic, not in any table of any service (live or
rebuilt), not in the services' logs, not in any export; and what was sealed
for them must no longer open.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from pathwise_contracts import PROFILE_EVENTS, TOPICS, Envelope, GuardianLinked
from pathwise_devstack import simulation
from pathwise_devstack.inprocess import read_topic
from pathwise_devstack.pg import drop_database, dsn_with_database
from pathwise_devstack.platform import Platform
from pathwise_devstack.quick import QUICK_SETTINGS
from pathwise_devstack.services import SERVICES
from pathwise_devstack.verification import replay_service

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.isolation]

BASE = 80_000
STUDENTS = 6  # Ada is the first, Ben the second; the others must come through untouched
ATTEMPTS = 6


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    workdir = tmp_path_factory.mktemp("erasure")
    with Platform(workdir, log_path=workdir / "services.log", settings=QUICK_SETTINGS) as running:
        yield running


def _bodies() -> list[dict[str, Any]]:
    rng = random.Random(5)
    bodies = [simulation.enrollment(BASE + n, rng) for n in range(STUDENTS)]
    ben = bodies[1]
    if len(ben["guardians"]) == 1:  # Ben keeps one guardian and loses the other
        second = dict(ben["guardians"][0])
        second.update(
            guardian_id=f"gdn-{BASE + 1:05d}-9",
            email=f"second.guardian.{BASE + 1}@families.example",
            phone=f"+1555{(BASE + 1) % 10_000:04d}999",
        )
        ben["guardians"].append(second)
    return bodies


def _statement(body: dict[str, Any], activity: str) -> dict[str, Any]:
    return {
        "actor": {
            "objectType": "Agent",
            "name": body["display_name"],
            "mbox": body["external_ids"]["xapi_mbox"],
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/scored", "display": {"en-US": "scored"}},
        "object": {"id": activity},
        "result": {"score": {"raw": 4, "min": 0, "max": 5}},
        "timestamp": "2026-10-05T09:00:00Z",
    }


async def _read_all(bootstrap: str, topic: str, partitions: int) -> list[bytes]:
    return [bytes(r.value or b"") for r in await read_topic(bootstrap, topic, partitions)]


async def _tables_text(dsn: str) -> dict[str, str]:
    """Every row of every table, as text."""
    conn = await asyncpg.connect(dsn)
    try:
        names = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )
        return {
            r["tablename"]: await conn.fetchval(
                f"SELECT coalesce(string_agg(t::text, chr(10)), '') FROM \"{r['tablename']}\" t"
            )
            for r in names
        }
    finally:
        await conn.close()


def _lrs(platform: Platform) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {platform.token('service')}",
        "X-Experience-API-Version": "1.0.3",
    }


def _found(needles: set[str], text: str) -> list[str]:
    return sorted(n for n in needles if n in text)


async def _drive(platform: Platform, bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """Enrol, then stream results and statements; erase Ada and Ben's guardian midway."""
    ada, ben = bodies[0], bodies[1]
    gone_guardian = ben["guardians"][1]
    service = {"Authorization": f"Bearer {platform.token('service')}"}
    admin = {"Authorization": f"Bearer {platform.token('admin')}"}
    profile, assessment = platform.url("profile-svc"), platform.url("assessment-svc")
    async with httpx.AsyncClient(headers=service, timeout=30) as client:
        for body in bodies:
            r = await client.post(f"{profile}/v1/students", json=body)
            assert r.status_code == 201, r.text
        plan = {
            "requirements": ["extended_time"],
            "plans": [{"kind": "iep", "details": f"Plan for {ada['display_name']}: read aloud"}],
        }
        r = await client.put(f"{profile}/v1/students/{ada['student_id']}/accommodations", json=plan)
        assert r.is_success, r.text
        framework = (await client.get(f"{platform.url('path-svc')}/v1/framework")).json()
        competencies = simulation.learning_order(framework)[:3]
        activity = f"urn:pathwise:e2e:erasure:{competencies[0]}"
        mapping = {"kind": "xapi_activity", "ref": activity, "competency_id": competencies[0]}
        r = await client.put(f"{assessment}/v1/competency-mappings", json={"mappings": [mapping]})
        assert r.is_success, r.text
        xapi = {"X-Experience-API-Version": "1.0.3"}
        for body in (ada, ben):
            r = await client.post(
                f"{assessment}/xapi/statements", json=_statement(body, activity), headers=xapi
            )
            assert r.status_code == 200, r.text
        note = f"{ada['display_name']} works best after lunch"
        r = await client.post(
            f"{platform.url('path-svc')}/v1/students/{ada['student_id']}/path/overrides",
            json={"action": "pin", "competency_id": competencies[1], "note": note},
            headers=admin,
        )
        assert r.status_code == 202, r.text
        await platform.wait_caught_up(timeout=180)
        sealed_contacts = await _sealed_contacts(platform, ada["student_id"], gone_guardian)
        opened = await _open(client, profile, sealed_contacts)
        assert None not in opened, "contacts open before the erasure"

        rng = random.Random(9)
        results = [
            r
            for n in range(STUDENTS)
            for r in simulation.answers(BASE + n, competencies, ATTEMPTS, rng)
        ]
        traffic = simulation.Traffic()
        sending = asyncio.create_task(
            simulation.stream(client, assessment, results, traffic, rate=40)
        )
        async with asyncio.timeout(120):  # midway: about half the results accepted
            while len(traffic.accepted_at) < len(results) // 2:
                await asyncio.sleep(0.1)
        erase_ada = client.delete(f"{profile}/v1/students/{ada['student_id']}", headers=admin)
        erase_guardian = client.delete(
            f"{profile}/v1/students/{ben['student_id']}/guardians/{gone_guardian['guardian_id']}",
            headers=admin,
        )
        for r in await asyncio.gather(erase_ada, erase_guardian):
            assert r.is_success, r.text
        await sending
        await platform.wait_caught_up(timeout=240)
        return {
            "note": note,
            "plan": plan["plans"][0]["details"],
            "sealed_contacts": sealed_contacts,
            "rejected": traffic.rejected,
            "opened_after": await _open(client, profile, sealed_contacts),
        }


async def _sealed_contacts(platform: Platform, student: str, guardian: dict[str, Any]) -> list[Any]:
    """The sealed emails and phones of Ada's guardians and Ben's second guardian."""
    raw = await _read_all(
        platform.infra.bootstrap_servers, PROFILE_EVENTS.name, PROFILE_EVENTS.partitions
    )
    found: list[Any] = []
    for value in raw:
        if b'"specversion"' not in value:
            continue  # a topic's creation marker
        event = Envelope.from_bytes(value).event()
        if not isinstance(event, GuardianLinked):
            continue
        if event.student_id == student or event.guardian_id == guardian["guardian_id"]:
            found += [v.model_dump() for v in (event.email, event.phone) if v is not None]
    assert found
    return found


async def _open(client: httpx.AsyncClient, profile: str, values: list[Any]) -> list[str | None]:
    r = await client.post(f"{profile}/v1/personal-data/open", json={"values": values})
    assert r.is_success, r.text
    return list(r.json()["values"])


async def test_a_student_and_a_guardian_erased_mid_stream_leave_nothing_readable(
    platform: Platform,
) -> None:
    bodies = _bodies()
    ada, ben = bodies[0], bodies[1]
    gone_guardian = ben["guardians"][1]
    seen = await _drive(platform, bodies)
    needles = {
        ada["display_name"],
        *ada["external_ids"].values(),
        *(g[k] for g in ada["guardians"] for k in ("email", "phone")),
        gone_guardian["email"],
        gone_guardian["phone"],
        seen["note"],
        seen["plan"],
    }
    # Refused results are Ada's only, and only after her erasure.
    assert all(ada["student_id"] in reason for reason in seen["rejected"]), seen["rejected"][:3]
    # What was sealed for them no longer opens.
    assert seen["opened_after"] == [None] * len(seen["sealed_contacts"])

    bootstrap = platform.infra.bootstrap_servers
    plan_kinds = {'"iep"', '"504"'}  # which plan a student has travels sealed too
    for topic in TOPICS:
        for name in (topic.name, topic.dlq):
            for value in await _read_all(bootstrap, name, topic.partitions):
                leaked = _found(needles | plan_kinds, value.decode("utf-8", "replace"))
                assert not leaked, f"{name}: in clear: {leaked}"

    rebuilt: list[str] = []
    try:
        for spec in SERVICES:
            report = await replay_service(
                spec.name,
                live_dsn=platform.database_url(spec.name),
                admin_dsn=platform.infra.admin_dsn,
                bootstrap=bootstrap,
                verify=True,
                keep=True,
            )
            rebuilt.append(report.database)
            assert report.verified, report.as_dict()
            for where, dsn in (
                ("live", platform.database_url(spec.name)),
                ("rebuilt", dsn_with_database(platform.infra.admin_dsn, report.database)),
            ):
                for table, text in (await _tables_text(dsn)).items():
                    leaked = _found(needles, text)
                    assert not leaked, f"{spec.name} {where} {table}: {leaked}"
    finally:
        for database in rebuilt:
            await drop_database(platform.infra.admin_dsn, database)

    await _exports_and_pages_know_nothing(platform, ada, ben, gone_guardian, needles)
    log = (platform.workdir / "services.log").read_text(encoding="utf-8", errors="replace")
    leaked = _found(needles, log)
    assert not leaked, f"services.log: {leaked}"


async def _exports_and_pages_know_nothing(
    platform: Platform,
    ada: dict[str, Any],
    ben: dict[str, Any],
    gone_guardian: dict[str, Any],
    needles: set[str],
) -> None:
    admin = {"Authorization": f"Bearer {platform.token('admin')}"}
    notify, profile = platform.url("notify-svc"), platform.url("profile-svc")
    async with httpx.AsyncClient(headers=admin, timeout=30) as client:
        for url in (
            f"{profile}/v1/students/{ada['student_id']}",
            f"{platform.url('path-svc')}/v1/students/{ada['student_id']}/path",
            f"{platform.url('assessment-svc')}/v1/students/{ada['student_id']}/assessments",
        ):
            assert (await client.get(url)).status_code == 404, url
        kept = (await client.get(f"{profile}/v1/students/{ben['student_id']}")).json()
        assert [g["guardian_id"] for g in kept["guardians"]] == [ben["guardians"][0]["guardian_id"]]
        for url in (
            f"{notify}/v1/students/{ada['student_id']}/notifications/export",
            f"{notify}/v1/guardians/{gone_guardian['guardian_id']}/notifications/export",
            f"{notify}/v1/students/{ben['student_id']}/notifications/export",
            f"{profile}/v1/students",
            f"{profile}/v1/access-log",
            f"{platform.url('assessment-svc')}/xapi/statements",
        ):
            r = await client.get(url, headers=_lrs(platform) if "/xapi/" in url else {})
            leaked = _found(needles, r.text)
            assert not leaked, f"{url} ({r.status_code}): {leaked}"
