"""path-svc in-process: a change of goals or accommodations on profile.events.v1 replans.

The profile events go through Kafka and the ``learners`` projection, are
forwarded on path-svc's own topic and planned from there, as in production,
so what this test sees is what a replay reaches.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from path_support import START, TEST_SOURCE, produce, rostered

from path_svc.main import SPEC
from pathwise_contracts import AccommodationsChanged, Envelope, Event, GoalSet
from pathwise_devstack.devtoken import mint_token
from pathwise_devstack.quick import SESSION_TIMEOUT_MS
from pathwise_runtime.service import create_app
from pathwise_runtime.settings import ServiceSettings

pytestmark = pytest.mark.integration
SECRET = "y" * 32
LIMIT = 120.0
"""Outer limit on waiting for an event's effect; each wait ends as soon as it shows."""


def profile_event(event: Event, n: int) -> Envelope:
    return Envelope.wrap(
        event,
        id=uuid.uuid5(uuid.NAMESPACE_URL, f"{event.student_id}/{n}"),
        source=TEST_SOURCE,
        district_id="d1",
        time=START + timedelta(minutes=n),
    )


def goal(student: str, version: int, goal_id: str, code: str, status: str) -> GoalSet:
    return GoalSet(
        student_id=student,
        version=version,
        goal_id=goal_id,
        competency_ids=[code],
        target_date=date(2027, 1, 15),
        status=status,  # type: ignore[arg-type]
        agreed_by=["student", "teacher"],
    )


async def test_a_goal_change_reorders_the_path_and_the_reason_names_the_goal(
    database: Callable[[], str], kafka_bootstrap: str
) -> None:
    tag = secrets.token_hex(4)
    student = f"s-{tag}"
    settings = ServiceSettings(
        DATABASE_URL=database(),
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        PATHWISE_AUTH_DEV_SECRET=SECRET,
        SERVICE_NAME=f"path-svc-goals-{tag}",
        OUTBOX_POLL_INTERVAL_S=0.2,
        CONSUMER_SESSION_TIMEOUT_MS=SESSION_TIMEOUT_MS,
    )
    headers = {"Authorization": f"Bearer {mint_token(SECRET, role='teacher', district='d1')}"}
    app = create_app(SPEC, settings)
    transport = httpx.ASGITransport(app=app)

    async def path_when(ready: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
        async with asyncio.timeout(LIMIT):
            while True:
                r = await client.get(f"/v1/students/{student}/path", headers=headers)
                if r.status_code == 200 and ready(r.json()["steps"]):
                    steps: list[dict[str, Any]] = r.json()["steps"]
                    return steps
                await asyncio.sleep(0.2)

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://path-svc") as client,
    ):
        # profile-svc stores competency ids in lower case; the planner finds them anyway.
        await produce(
            kafka_bootstrap,
            [*rostered(student), profile_event(goal(student, 2, "g1", "3.nf.a.1", "active"), 1)],
        )
        steps = await path_when(lambda s: bool(s) and s[0]["competency_id"] == "3.NF.A.1")
        assert "a goal: 3.NF.A.1 by 2027-01-15" in steps[0]["reason"]

        await produce(
            kafka_bootstrap,
            [
                profile_event(goal(student, 3, "g1", "3.nf.a.1", "dropped"), 2),
                profile_event(goal(student, 4, "g2", "3.G.A.1", "active"), 3),
                profile_event(
                    AccommodationsChanged(
                        student_id=student, version=5, requirements=["read_aloud", "extended_time"]
                    ),
                    4,
                ),
            ],
        )
        steps = await path_when(lambda s: bool(s) and bool(s[0]["annotations"]))
        assert steps[0]["competency_id"] == "3.G.A.1"
        assert "a goal: 3.G.A.1 by 2027-01-15" in steps[0]["reason"]
        assert all("3.NF.A.1 by" not in s["reason"] for s in steps)
        assert [a["text"] for a in steps[0]["annotations"]] == [
            "extended time 1.5\N{MULTIPLICATION SIGN}",
            "read aloud",
        ]
        assert {s["minutes"] for s in steps} == {30}

        r = await client.get(f"/v1/students/{student}/path/history", headers=headers)
        reasons = [h["reason"] for h in r.json()["replans"]]
        assert any("the learner's goals changed" in why for why in reasons)
        assert reasons[0].startswith("Replanned because the learner's accommodations changed")
