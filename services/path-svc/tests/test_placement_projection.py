"""Grade placement through the projections: the roster's grade decides where a K-8 path starts."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import timedelta

import asyncpg
import pytest
from aiokafka import ConsumerRecord
from path_support import START, TEST_SOURCE, record

from path_svc.domain import catalogue
from path_svc.main import SPEC
from path_svc.projections import LearnerProjection, PlanningProjection
from pathwise_contracts import (
    PATH_EVENTS,
    EnrollmentChanged,
    Envelope,
    Event,
    LearnerProfileChanged,
    StudentEnrolled,
)
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.service import open_pool, prepare_database

pytestmark = pytest.mark.integration
SOURCE = "urn:pathwise:path-svc"
K8 = catalogue.load("ccssm-k8")


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


def records(envelopes: Sequence[Envelope], start: int) -> list[ConsumerRecord[bytes, bytes]]:
    return [record(e, offset) for offset, e in enumerate(envelopes, start=start)]


async def forwarded(pool: asyncpg.Pool) -> list[LearnerProfileChanged]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT payload FROM pathwise_outbox WHERE topic = $1 ORDER BY seq", PATH_EVENTS.name
        )
    events = [Envelope.from_bytes(bytes(r["payload"])).event() for r in rows]
    return [e for e in events if isinstance(e, LearnerProfileChanged)]


async def grades_on_path(pool: asyncpg.Pool) -> set[str | None]:
    async with pool.acquire() as conn:
        steps = json.loads(await conn.fetchval("SELECT steps FROM paths WHERE student_id = 's-5'"))
    return {K8[s["competency_id"]].grade for s in steps}


async def test_a_grade_5_student_starts_in_grade_5_and_moves_with_the_roster(
    pool: asyncpg.Pool, kafka_bootstrap: str
) -> None:
    learners = BatchApplier(LearnerProjection(source=SOURCE), pool, kafka_bootstrap)
    planning = BatchApplier(PlanningProjection(source=SOURCE, framework=K8), pool, kafka_bootstrap)
    enrolled = StudentEnrolled(student_id="s-5", district_id="d1", grade="5", section_ids=["a"])
    await learners.apply(records([wrap(enrolled, 1)], start=1))
    first = await forwarded(pool)
    assert [e.grade for e in first] == ["5"]
    await planning.apply(records([wrap(e, 10 + i) for i, e in enumerate(first)], start=1))
    assert await grades_on_path(pool) == {"5"}

    promoted = EnrollmentChanged(student_id="s-5", version=2, grade="6", section_ids=["b"])
    await learners.apply(records([wrap(promoted, 2)], start=2))
    second = (await forwarded(pool))[len(first) :]
    assert [e.grade for e in second] == ["6"]
    await planning.apply(records([wrap(e, 20 + i) for i, e in enumerate(second)], start=2))
    assert await grades_on_path(pool) == {"6"}
    async with pool.acquire() as conn:
        reason = await conn.fetchval(
            "SELECT reason FROM path_history WHERE student_id = 's-5' ORDER BY version DESC LIMIT 1"
        )
    assert "the learner's sections and grade changed" in reason, reason
