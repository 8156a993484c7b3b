"""path-svc in-process: evidence on Kafka becomes a path and mastery over HTTP."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from path_support import START, guardian_linked, produce, recorded, rostered

from path_svc.main import SPEC
from path_svc.workers.weekly_groups import publish_week
from pathwise_contracts import AccommodationsChanged, Envelope, GroupsSuggested, SubjectErased
from pathwise_devstack.devtoken import mint_token
from pathwise_devstack.quick import SESSION_TIMEOUT_MS
from pathwise_runtime.service import create_app
from pathwise_runtime.settings import ServiceSettings

pytestmark = pytest.mark.integration
SECRET = "x" * 32


def bearer(role: str, district: str = "d1", sub: str | None = None) -> dict[str, str]:
    token = mint_token(SECRET, role=role, district=district, sub=sub)
    return {"Authorization": f"Bearer {token}"}


async def eventually_ok(client: httpx.AsyncClient, url: str, timeout: float = 30) -> httpx.Response:
    async with asyncio.timeout(timeout):
        while True:
            response = await client.get(url, headers=bearer("teacher"))
            if response.status_code == 200:
                return response
            await asyncio.sleep(0.2)


async def eventually(
    client: httpx.AsyncClient, url: str, ready: Callable[[Any], bool], timeout: float = 30
) -> Any:
    async with asyncio.timeout(timeout):
        while True:
            response = await client.get(url, headers=bearer("teacher"))
            if response.status_code == 200 and ready(response.json()):
                return response.json()
            await asyncio.sleep(0.2)


async def test_path_mastery_and_framework_over_http(
    database: Callable[[], str], kafka_bootstrap: str
) -> None:
    tag = secrets.token_hex(4)
    student, guardian = f"s-{tag}", f"g-{tag}"
    settings = ServiceSettings(
        DATABASE_URL=database(),
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        PATHWISE_AUTH_DEV_SECRET=SECRET,
        SERVICE_NAME=f"path-svc-test-{tag}",
        OUTBOX_POLL_INTERVAL_S=0.2,
        CONSUMER_SESSION_TIMEOUT_MS=SESSION_TIMEOUT_MS,
    )
    app = create_app(SPEC, settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://path-svc") as client,
    ):
        await produce(
            kafka_bootstrap,
            [
                *rostered(student),
                *(recorded(student, n) for n in range(4)),
                guardian_linked(student, guardian),
            ],
        )
        path = await eventually(
            client,
            f"/v1/students/{student}/path",
            lambda body: all(s["competency_id"] != "3.OA.A.1" for s in body["steps"]),
        )
        mastery = (await eventually_ok(client, f"/v1/students/{student}/mastery")).json()
        # The guardian link travels on another topic and may land a moment later.
        async with asyncio.timeout(30):
            while (
                await client.get(
                    f"/v1/students/{student}/path", headers=bearer("guardian", sub=guardian)
                )
            ).status_code != 200:
                await asyncio.sleep(0.2)

        stranger = await client.get(
            f"/v1/students/{student}/mastery", headers=bearer("guardian", sub="g-other")
        )
        as_student = await client.get(f"/v1/students/{student}/path", headers=bearer("student"))
        other_district = await client.get(
            f"/v1/students/{student}/path", headers=bearer("teacher", district="d2")
        )
        unknown = await client.get("/v1/students/nobody/path", headers=bearer("admin"))
        anonymous = await client.get(f"/v1/students/{student}/path")
        framework = await client.get("/v1/framework", headers=bearer("service"))

    assert path["student_id"] == student and path["version"] >= 1
    assert 1 <= len(path["steps"]) <= 3
    assert all(step["competency_id"] != "3.OA.A.1" for step in path["steps"])
    [estimate] = mastery["competencies"]
    assert estimate["competency_id"] == "3.OA.A.1" and estimate["attempts"] == 4
    assert estimate["mastered"] and estimate["p_mastery"] >= 0.95

    assert stranger.status_code == 404 and as_student.status_code == 403  # not hers; role
    for response in (other_district, unknown):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert anonymous.status_code == 401
    assert framework.status_code == 200 and framework.json()["name"] == "grade3-math"
    by_code = {c["code"]: c for c in framework.json()["competencies"]}
    assert by_code["3.OA.C.7"]["prerequisites"] == ["3.OA.B.5", "3.OA.B.6"]


async def test_teachers_override_and_students_choose_over_http(
    database: Callable[[], str], kafka_bootstrap: str
) -> None:
    tag = secrets.token_hex(4)
    student = f"s-{tag}"
    settings = ServiceSettings(
        DATABASE_URL=database(),
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        PATHWISE_AUTH_DEV_SECRET=SECRET,
        SERVICE_NAME=f"path-svc-test-{tag}",
        OUTBOX_POLL_INTERVAL_S=0.2,
        CONSUMER_SESSION_TIMEOUT_MS=SESSION_TIMEOUT_MS,
    )
    app = create_app(SPEC, settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://path-svc") as client,
    ):
        await produce(kafka_bootstrap, [*rostered(student), recorded(student, 0, score=0.0)])
        url = f"/v1/students/{student}/path"
        await eventually(client, url, lambda body: body["version"] >= 1)
        teacher = bearer("teacher", sub="t-1")
        bad = await client.post(
            f"{url}/overrides", json={"action": "pin", "competency_id": "9.X.Y.1"}, headers=teacher
        )
        missing = await client.post(
            f"{url}/overrides", json={"action": "move", "competency_id": "3.G.A.2"}, headers=teacher
        )
        pinned = await client.post(
            f"{url}/overrides",
            json={"action": "pin", "competency_id": "3.G.A.2", "note": "class project week"},
            headers=teacher,
        )
        assert pinned.status_code == 202, pinned.text
        path = await eventually(
            client, url, lambda b: any(s["competency_id"] == "3.G.A.2" for s in b["steps"])
        )
        [step] = [s for s in path["steps"] if s["competency_id"] == "3.G.A.2"]
        assert step["overridden"] and "placed by a teacher" in step["reason"]

        other = next(m for m in step["options"] if m != step["modality"])
        as_other = await client.post(
            f"{url}/steps/3.G.A.2/choice", json={"modality": other}, headers=bearer("student")
        )
        chosen = await client.post(
            f"{url}/steps/3.G.A.2/choice",
            json={"modality": other},
            headers=bearer("student", sub=student),
        )
        assert chosen.status_code == 202, chosen.text
        await eventually(
            client,
            url,
            lambda b: any(
                s["competency_id"] == "3.G.A.2" and s["modality"] == other for s in b["steps"]
            ),
        )
        active = (await client.get(f"{url}/overrides", headers=teacher)).json()
        as_student = await client.get(f"{url}/overrides", headers=bearer("student", sub=student))
        lifted = await client.delete(
            f"{url}/overrides/{pinned.json()['override_id']}", headers=teacher
        )
        assert lifted.status_code == 202
        await eventually(
            client, url, lambda b: all(s["competency_id"] != "3.G.A.2" for s in b["steps"])
        )
        after = (await client.get(f"{url}/overrides", headers=teacher)).json()
        history = (await client.get(f"{url}/history", headers=teacher)).json()
        again = await client.delete(
            f"{url}/overrides/{pinned.json()['override_id']}", headers=teacher
        )
        # The note went sealed with the student's erasable key; their erasure destroys it.
        pool = app.state.runtime.pool
        keys = "SELECT count(*) FROM erasable_keys WHERE kind = 'student' AND subject_id = $1"
        assert await pool.fetchval(keys, student) == 1
        erased = SubjectErased(
            student_id=student, version=3, subject_id=student, kind="student", erased_at=START
        )
        await produce(
            kafka_bootstrap,
            [Envelope.wrap(erased, id=uuid.uuid4(), source="urn:test", district_id="d1")],
        )
        async with asyncio.timeout(60):
            while (await client.get(url, headers=teacher)).status_code != 404:
                await asyncio.sleep(0.2)
        assert await pool.fetchval(keys, student) == 0

    assert bad.status_code == 422 and "competency_id" in bad.json()["detail"]
    assert (
        missing.status_code == 422 and "position" in bad.json()["detail"] + missing.json()["detail"]
    )
    assert as_other.status_code == 404  # another student's path does not exist for them
    reasons = [r["reason"] for r in history["replans"]]
    assert len(reasons) >= 4 and "a teacher lifted the pin of 3.G.A.2" in reasons[0]
    assert again.status_code == 404
    assert [(o["override_id"], o["action"], o["competency_id"]) for o in active["overrides"]] == [
        (pinned.json()["override_id"], "pin", "3.G.A.2")
    ]
    assert as_student.status_code == 403
    assert after["overrides"] == []


async def test_section_groups_over_http(database: Callable[[], str], kafka_bootstrap: str) -> None:
    tag = secrets.token_hex(4)
    section = f"sec-{tag}"
    settings = ServiceSettings(
        DATABASE_URL=database(),
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        PATHWISE_AUTH_DEV_SECRET=SECRET,
        SERVICE_NAME=f"path-svc-test-{tag}",
        OUTBOX_POLL_INTERVAL_S=0.2,
        CONSUMER_SESSION_TIMEOUT_MS=SESSION_TIMEOUT_MS,
    )
    facts: list[Envelope] = []
    for i in range(4):  # a plan requiring small-group instruction makes every step a group one
        student = f"s-{tag}-{i}"
        facts += rostered(student, sections=[section])
        needs = AccommodationsChanged(
            student_id=student, version=2, requirements=["small_group_instruction"]
        )
        facts.append(
            Envelope.wrap(
                needs,
                id=uuid.uuid5(uuid.NAMESPACE_URL, f"{student}/needs"),
                source="urn:pathwise:test",
                district_id="d1",
                time=START + timedelta(minutes=1),
            )
        )
    app = create_app(SPEC, settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://path-svc") as client,
    ):
        await produce(kafka_bootstrap, facts)
        body = await eventually(
            client,
            f"/v1/sections/{section}/groups",
            lambda body: sum(len(g["student_ids"]) for g in body["groups"]) == 4,
        )
        as_student = await client.get(f"/v1/sections/{section}/groups", headers=bearer("student"))
        elsewhere = await client.get(
            f"/v1/sections/{section}/groups", headers=bearer("teacher", district="d2")
        )
        not_theirs = await client.get(
            f"/v1/sections/{section}/groups", headers=bearer("teacher", sub="t-other")
        )
        runtime = app.state.runtime
        monday = datetime(2026, 10, 5, 7, tzinfo=UTC)
        first = await publish_week(runtime, monday)
        again = await publish_week(runtime, monday + timedelta(days=3))  # same ISO week
        async with runtime.pool.acquire() as conn:
            payloads = await conn.fetch(
                "SELECT payload FROM pathwise_outbox WHERE topic = 'path.events.v1'"
                " AND headers::text LIKE '%GroupsSuggested%'"
            )

    # Other suites' sections may share the broker's topics: count only this one.
    assert first >= 1 and again == 0
    events = [Envelope.from_bytes(bytes(r["payload"])).event() for r in payloads]
    [weekly] = [e for e in events if isinstance(e, GroupsSuggested) and e.section_id == section]
    assert weekly.week == "2026-W41"
    assert sorted(weekly.groups[0].student_ids) == sorted(f"s-{tag}-{i}" for i in range(4))

    [group] = body["groups"]
    assert group["modality"] == "small_group_instruction"
    assert group["student_ids"] == sorted(f"s-{tag}-{i}" for i in range(4))
    assert as_student.status_code == 403
    assert as_student.headers["content-type"] == "application/problem+json"
    assert elsewhere.status_code == 200 and elsewhere.json()["groups"] == []
    assert not_theirs.status_code == 200 and not_theirs.json()["groups"] == []  # teaches none
