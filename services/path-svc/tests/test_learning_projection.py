"""The learning projection against real Postgres, through the runtime's applier."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import asyncpg
import pytest
from aiokafka import ConsumerRecord
from path_support import START, record, recorded, voided

from path_svc.domain import catalogue, next_answer, response
from path_svc.domain.learner import Learner
from path_svc.main import SPEC
from path_svc.projections import IntakeProjection, LearningProjection
from pathwise_contracts import (
    PATH_EVENTS,
    CompetencyMastered,
    Envelope,
    MasteryUpdated,
    PathReplanned,
    SubjectErased,
)
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.service import open_pool, prepare_database

pytestmark = pytest.mark.integration
SOURCE = "urn:pathwise:path-svc"
FRAMEWORK = catalogue.load_default()


@pytest.fixture
async def pool(database: Callable[[], str]) -> AsyncIterator[asyncpg.Pool]:
    dsn = database()
    await prepare_database(dsn, SPEC.migrations)
    pool = await open_pool(dsn, min_size=1, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


def applier(pool: asyncpg.Pool, bootstrap: str) -> BatchApplier:
    return BatchApplier(LearningProjection(source=SOURCE), pool, bootstrap)


async def state(pool: asyncpg.Pool) -> dict[str, list[Any]]:
    """Everything the projection and its batches wrote, comparable across runs."""
    async with pool.acquire() as conn:
        return {
            "mastery": [tuple(r) for r in await conn.fetch("SELECT * FROM mastery ORDER BY 1, 2")],
            "evidence": [
                tuple(r) for r in await conn.fetch("SELECT * FROM evidence ORDER BY 1, 2")
            ],
            "response_state": [
                tuple(r) for r in await conn.fetch("SELECT * FROM response_state ORDER BY 1, 2")
            ],
            # Trace context differs between runs by design; the fact itself must not.
            "outbox": [
                (r["event_id"], r["topic"], r["key"], _untraced(bytes(r["payload"])))
                for r in await conn.fetch(
                    "SELECT event_id, topic, key, payload FROM pathwise_outbox ORDER BY event_id"
                )
            ],
        }


def _untraced(payload: bytes) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(payload)
    body.pop("traceparent", None)
    body.pop("tracestate", None)
    return body


async def emitted(pool: asyncpg.Pool) -> list[Any]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT payload FROM pathwise_outbox WHERE topic = $1 ORDER BY seq", PATH_EVENTS.name
        )
    return [Envelope.from_bytes(bytes(r["payload"])).event() for r in rows]


def numbered(envelopes: Sequence[Envelope]) -> list[ConsumerRecord[bytes, bytes]]:
    return [record(e, offset) for offset, e in enumerate(envelopes, start=1)]


async def test_correct_answers_master_the_competency_and_a_void_is_retraced(
    pool: asyncpg.Pool, kafka_bootstrap: str
) -> None:
    evidence = [recorded("s-1", n) for n in range(5)]
    records = numbered([*evidence, voided(evidence[0])])
    run = applier(pool, kafka_bootstrap)
    await run.apply(records)

    events = await emitted(pool)
    updates = [e for e in events if isinstance(e, MasteryUpdated)]
    mastered = [e for e in events if isinstance(e, CompetencyMastered)]
    assert not [e for e in events if isinstance(e, PathReplanned)]  # planning's job
    assert len(updates) == 6
    assert [u.p_mastery for u in updates[:5]] == sorted(u.p_mastery for u in updates[:5])
    assert [u.attempts for u in updates] == [1, 2, 3, 4, 5, 4]
    assert len(mastered) == 1 and mastered[0].competency_id == "3.OA.A.1"
    assert mastered[0].evidence_id in {uuid_of(e) for e in evidence}
    assert updates[-1].evidence_id == uuid_of(evidence[0])

    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM mastery WHERE student_id = 's-1'")
        voids = await conn.fetch("SELECT voided FROM evidence WHERE student_id = 's-1'")
    assert row["attempts"] == 4 and row["updated_at"] == voided(evidence[0]).time
    assert sorted(v["voided"] for v in voids) == [False] * 4 + [True]
    assert row["p_mastery"] == pytest.approx(updates[3].p_mastery)  # 4 right answers either way

    before = await state(pool)
    await run.apply(records)
    assert await state(pool) == before
    assert run.stats.skipped == len(records)


async def test_a_void_in_a_later_batch_retraces_the_stored_evidence(
    pool: asyncpg.Pool, kafka_bootstrap: str
) -> None:
    evidence = [recorded("s-9", n, score=float(n % 2)) for n in range(6)]
    run = applier(pool, kafka_bootstrap)
    await run.apply(numbered(evidence))
    await run.apply([record(voided(evidence[1]), 50), record(voided(evidence[1]), 51)])
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM mastery WHERE student_id = 's-9'")
    assert row["attempts"] == 5
    learner = Learner("x")
    for n in (0, 2, 3, 4, 5):
        learner.record(FRAMEWORK, "3.OA.A.1", n % 2, 1, START)
    assert row["p_mastery"] == pytest.approx(learner.estimates["3.OA.A.1"].p_mastery)


async def test_a_void_rewalks_the_next_answer_state_across_competencies(
    pool: asyncpg.Pool, kafka_bootstrap: str
) -> None:
    """The next-answer state mixes competencies: a void on one re-runs all the rest."""
    plan = [("3.OA.A.1", 1.0), ("3.NF.A.1", 0.0), ("3.OA.A.1", 0.0), ("3.NF.A.1", 1.0)]
    evidence = [recorded("s-7", n, code, score) for n, (code, score) in enumerate(plan)]
    run = applier(pool, kafka_bootstrap)
    await run.apply(numbered([*evidence, voided(evidence[1])]))
    async with pool.acquire() as conn:
        stored = await conn.fetchrow(
            "SELECT numbers, last_skill, skills FROM response_state WHERE student_id = 's-7'"
        )
    events = [e for e in await emitted(pool) if isinstance(e, MasteryUpdated)]

    model = next_answer.for_framework(FRAMEWORK)
    without = response.StudentState()
    for code, score in [plan[0], plan[2], plan[3]]:
        response.update(model, without, code, score)
    assert response.unpack(*stored) == without
    assert events[-1].competency_id == "3.NF.A.1"
    assert events[-1].p_correct == pytest.approx(response.predict(model, without, "3.NF.A.1"))
    assert all(e.p_correct is not None for e in events)


async def test_unknown_competency_is_dead_lettered_and_the_rest_applied(
    pool: asyncpg.Pool, kafka_bootstrap: str
) -> None:
    records = numbered(
        [recorded("s-2", 0), recorded("s-3", 0, competency="9.ZZ.Z.9"), recorded("s-2", 1)]
    )
    await applier(pool, kafka_bootstrap).apply(records)
    async with pool.acquire() as conn:
        dead = await conn.fetch(
            "SELECT key, headers FROM pathwise_outbox WHERE topic = 'assessment.events.v1.dlq'"
        )
        attempts = await conn.fetchval("SELECT attempts FROM mastery WHERE student_id = 's-2'")
        s3 = await conn.fetchval("SELECT count(*) FROM mastery WHERE student_id = 's-3'")
    assert len(dead) == 1 and dead[0]["key"] == "s-3"
    headers = dict(json.loads(dead[0]["headers"]))
    assert "9.ZZ.Z.9" in headers["dlq.reason"] and headers["dlq.consumer"] == "learning"
    assert attempts == 2 and s3 == 0


async def test_batching_does_not_change_rows_or_event_ids(
    database: Callable[[], str], kafka_bootstrap: str
) -> None:
    """What replay relies on: the same log gives the same state however it is cut."""
    evidence = [
        recorded(student, 3 * n + k, competency, score)
        for n in range(6)
        for k, (student, competency, score) in enumerate(
            [
                ("s-4", "3.NF.A.1", 1.0),
                ("s-5", "3.OA.A.2", 0.5 if n % 2 else 0.0),
                ("s-4", "3.G.A.1", 1.0),
            ]
        )
    ]
    records = numbered(evidence)
    states = []
    for batches in ([records], [[r] for r in records]):
        dsn = database()
        await prepare_database(dsn, SPEC.migrations)
        pool = await open_pool(dsn, min_size=1, max_size=2)
        try:
            run = applier(pool, kafka_bootstrap)
            for batch in batches:
                await run.apply(batch)
            states.append(await state(pool))
        finally:
            await pool.close()
    assert states[0] == states[1]
    assert len(states[0]["mastery"]) == 3


def uuid_of(envelope: Envelope) -> Any:
    return envelope.event().assessment_id  # type: ignore[attr-defined]


@pytest.mark.isolation
async def test_a_student_id_two_districts_use_stays_two_students(
    pool: asyncpg.Pool, kafka_bootstrap: str
) -> None:
    """Rows are keyed by (district, student): d2's evidence and d1's erasure of the same id
    each reach only their own district's student, and a late fact stays on its side."""
    intake = BatchApplier(IntakeProjection(source=SOURCE), pool, kafka_bootstrap)
    ones = [recorded("s-twin", n, district="d1") for n in range(2)]
    twos = [recorded("s-twin", n, score=0.0, district="d2") for n in range(10, 13)]
    await intake.apply([record(e, offset) for offset, e in enumerate(ones + twos)])
    assert await _twins(pool) == {("d1", 2, 2), ("d2", 3, 3)}
    assert await _answered(pool) == {"d1": 2, "d2": 3}

    erasure = SubjectErased(
        student_id="s-twin", version=2, subject_id="s-twin", kind="student", erased_at=START
    )
    erased = Envelope.wrap(erasure, id=uuid.uuid4(), source=SOURCE, district_id="d1", time=START)
    await intake.apply([record(erased, 0)])
    assert await _twins(pool) == {("d2", 3, 3)}
    assert await _answered(pool) == {"d2": 3}  # the erasure took the model's state too

    late = [recorded("s-twin", 20, district="d1"), recorded("s-twin", 21, district="d2")]
    await intake.apply([record(e, offset) for offset, e in enumerate(late, start=5)])
    assert await _twins(pool) == {("d2", 4, 4)}
    assert await _answered(pool) == {"d2": 4}


async def _twins(pool: asyncpg.Pool) -> set[tuple[str, int, int]]:
    """(district, attempts, evidence rows) of each district's s-twin."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT m.district_id, m.attempts,
                      (SELECT count(*) FROM evidence e
                        WHERE e.district_id = m.district_id AND e.student_id = m.student_id) AS n
                 FROM mastery m WHERE m.student_id = 's-twin'"""
        )
    return {(r["district_id"], r["attempts"], r["n"]) for r in rows}


async def _answered(pool: asyncpg.Pool) -> dict[str, int]:
    """Answers the next-answer state of each district's s-twin has taken in."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT district_id, numbers, last_skill, skills FROM response_state
                WHERE student_id = 's-twin'"""
        )
    return {r["district_id"]: response.unpack(*list(r.values())[1:]).answered for r in rows}
