"""Planning and learner profiles against real Postgres, through the runtime's applier."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest
from aiokafka import ConsumerRecord
from path_support import START, TEST_SOURCE, record

from path_svc.main import SPEC
from path_svc.projections import LearnerProjection, PlanningProjection
from pathwise_contracts import (
    PATH_EVENTS,
    AccommodationsChanged,
    Envelope,
    Event,
    GoalSet,
    LearnerProfileChanged,
    MasteryUpdated,
    Modality,
    PathReplanned,
    StepOverridden,
    StudentEnrolled,
    SubjectErased,
    SupportNeeded,
    SupportResolved,
)
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.service import open_pool, prepare_database

pytestmark = pytest.mark.integration
SOURCE = "urn:pathwise:path-svc"


@pytest.fixture
async def pool(database: Callable[[], str]) -> AsyncIterator[asyncpg.Pool]:
    dsn = database()
    await prepare_database(dsn, SPEC.migrations)
    pool = await open_pool(dsn, min_size=1, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


def wrap(event: Event, n: int) -> Envelope:
    return Envelope.wrap(
        event,
        id=uuid.uuid5(uuid.NAMESPACE_URL, f"{event.student_id}/{event.type}/{n}"),
        source=TEST_SOURCE,
        district_id="d1",
        time=START + timedelta(minutes=n),
    )


def mastery(student: str, code: str, p: float, attempts: int, n: int) -> Envelope:
    return wrap(
        MasteryUpdated(
            student_id=student,
            competency_id=code,
            p_mastery=p,
            previous=0.2,
            evidence_id=uuid.UUID(int=n),
            attempts=attempts,
        ),
        n,
    )


def records(envelopes: Sequence[Envelope], start: int = 1) -> list[ConsumerRecord[bytes, bytes]]:
    return [record(e, offset) for offset, e in enumerate(envelopes, start=start)]


async def outbox(pool: asyncpg.Pool) -> list[Any]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT payload FROM pathwise_outbox WHERE topic = $1 ORDER BY seq", PATH_EVENTS.name
        )
    return [Envelope.from_bytes(bytes(r["payload"])).event() for r in rows]


async def tables(pool: asyncpg.Pool) -> dict[str, list[tuple[Any, ...]]]:
    async with pool.acquire() as conn:
        return {
            t: [tuple(r) for r in await conn.fetch(f"SELECT * FROM {t} ORDER BY 1, 2")]
            for t in ("planners", "paths", "path_history")
        }


async def test_paths_follow_mastery_and_overrides_and_replay_identically(
    database: Callable[[], str], kafka_bootstrap: str
) -> None:
    pin = uuid.UUID(int=99)
    log = [
        mastery("s-1", "3.OA.A.1", 0.5, 1, 1),
        mastery("s-1", "3.OA.A.1", 0.5, 1, 2),  # the same estimate again: no replan
        wrap(
            StepOverridden(
                student_id="s-1",
                override_id=pin,
                action="pin",
                competency_id="3.G.A.2",
                teacher_id="t-1",
            ),
            3,
        ),
        mastery("s-1", "3.OA.A.1", 0.97, 2, 4),
        mastery("s-1", "3.OA.A.2", 0.97, 2, 5),
        wrap(
            StepOverridden(
                student_id="s-1",
                override_id=uuid.UUID(int=100),
                action="lift",
                competency_id="3.G.A.2",
                lifts=pin,
                teacher_id="t-1",
            ),
            6,
        ),
        mastery("s-2", "3.NF.A.1", 0.4, 1, 7),
    ]
    results = []
    for split in (False, True):
        dsn = database()
        await prepare_database(dsn, SPEC.migrations)
        pool = await open_pool(dsn, min_size=1, max_size=2)
        try:
            run = BatchApplier(PlanningProjection(source=SOURCE), pool, kafka_bootstrap)
            for batch in [[r] for r in records(log)] if split else [records(log)]:
                await run.apply(batch)
            results.append((await tables(pool), [e.model_dump() for e in await outbox(pool)]))
        finally:
            await pool.close()
    assert results[0] == results[1]
    state, events = results[0]
    replans = [PathReplanned.model_validate(e) for e in events if "version" in e]
    s1 = [r for r in replans if r.student_id == "s-1"]
    assert [r.version for r in s1] == list(range(1, len(s1) + 1))
    assert len(s1) == 5  # first plan, pin, two masteries, lift; the repeat changed nothing
    assert "3.G.A.2" in [s.competency_id for s in s1[1].steps]
    assert s1[1].steps[0].overridden and "placed by a teacher" in s1[1].steps[0].reason
    assert "3.G.A.2" not in [s.competency_id for s in s1[-1].steps]
    assert s1[2].reason.startswith("Replanned because 3.OA.A.1 was mastered")
    ready = [s for s in s1[-1].steps if s.competency_id == "3.OA.A.3"]
    assert ready and ready[0].reason.startswith("ready: prerequisites 3.OA.A.1, 3.OA.A.2 mastered")
    history = [r for r in state["path_history"] if r[0] == "s-1"]
    assert [r[1] for r in history] == [1, 2, 3, 4, 5]
    [path] = [r for r in state["paths"] if r[0] == "s-1"]
    assert path[2] == 5 and json.loads(path[3])[0]["competency_id"] == s1[-1].steps[0].competency_id


async def test_support_alerts_open_once_per_episode_and_close_identically_on_replay(
    database: Callable[[], str], kafka_bootstrap: str
) -> None:
    # Five flat results on the first step stall it; a sixth on another
    # competency 20 days later finds the remaining steps inactive; a gain closes the stall.
    log = [mastery("s-9", "3.OA.A.1", 0.3, n, n) for n in range(1, 7)]
    log.append(mastery("s-9", "3.OA.A.2", 0.3, 1, 60 * 24 * 20))
    log.append(mastery("s-9", "3.OA.A.1", 0.5, 7, 60 * 24 * 20 + 1))
    results = []
    events: list[Event] = []
    for split in (False, True):
        dsn = database()
        await prepare_database(dsn, SPEC.migrations)
        pool = await open_pool(dsn, min_size=1, max_size=2)
        try:
            run = BatchApplier(PlanningProjection(source=SOURCE), pool, kafka_bootstrap)
            for batch in [[r] for r in records(log)] if split else [records(log)]:
                await run.apply(batch)
            events = await outbox(pool)
            results.append((await tables(pool), [e.model_dump() for e in events]))
        finally:
            await pool.close()
    assert results[0] == results[1]
    opened = [e for e in events if isinstance(e, SupportNeeded)]
    closed = [e for e in events if isinstance(e, SupportResolved)]
    stalled = [e for e in opened if e.reason == "stalled"]
    assert [(e.competency_id, e.episode) for e in stalled] == [("3.OA.A.1", 1)]
    assert {e.reason for e in opened} == {"stalled", "inactive"}
    assert ("3.OA.A.1", "stalled", 1) in [(e.competency_id, e.reason, e.episode) for e in closed]


async def test_profile_changes_are_forwarded_and_erasure_drops_the_student_everywhere(
    pool: asyncpg.Pool, kafka_bootstrap: str
) -> None:
    learners = BatchApplier(LearnerProjection(source=SOURCE), pool, kafka_bootstrap)
    planning = BatchApplier(PlanningProjection(source=SOURCE), pool, kafka_bootstrap)
    profile = [
        wrap(
            StudentEnrolled(student_id="s-3", district_id="d1", grade="3", section_ids=["sec-1"]),
            1,
        ),
        wrap(
            GoalSet(
                student_id="s-3",
                version=2,
                goal_id="g1",
                competency_ids=["3.OA.C.7"],
                target_date=date(2027, 1, 1),
                status="active",
                agreed_by=["student", "teacher"],
            ),
            2,
        ),
        wrap(
            AccommodationsChanged(
                student_id="s-3", version=3, requirements=["small_group_instruction"]
            ),
            3,
        ),
    ]
    await learners.apply(records(profile))
    forwarded = [e for e in await outbox(pool) if isinstance(e, LearnerProfileChanged)]
    assert len(forwarded) == 3
    assert forwarded[-1].goals == ["3.OA.C.7"] and forwarded[-1].section_ids == ["sec-1"]
    assert forwarded[-1].requirements == ["small_group_instruction"]
    assert [e.grade for e in forwarded] == ["3", "3", "3"]  # the roster's grade, for placement

    path_log = [wrap(e, 10 + i) for i, e in enumerate(forwarded)]
    path_log.append(mastery("s-3", "3.OA.A.1", 0.6, 1, 20))
    await planning.apply(records(path_log, start=100))
    async with pool.acquire() as conn:
        steps = json.loads(await conn.fetchval("SELECT steps FROM paths WHERE student_id = 's-3'"))
    assert {s["modality"] for s in steps} == {Modality.SMALL_GROUP_INSTRUCTION.value}
    assert steps[0]["competency_id"] in {"3.OA.A.1", "3.OA.A.2"}  # they unlock the goal
    assert "unlocks goal " in steps[0]["reason"]

    erased = wrap(
        SubjectErased(
            student_id="s-3", version=4, subject_id="s-3", kind="student", erased_at=START
        ),
        30,
    )
    await learners.apply(records([erased], start=10))
    await planning.apply(records([mastery("s-3", "3.OA.A.2", 0.6, 1, 31)], start=200))
    async with pool.acquire() as conn:
        counts = [
            await conn.fetchval(f"SELECT count(*) FROM {t} WHERE student_id = 's-3'")
            for t in ("learners", "planners", "paths", "path_history", "mastery", "evidence")
        ]
    assert counts == [0] * 6
