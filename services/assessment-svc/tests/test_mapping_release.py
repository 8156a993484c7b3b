"""A result with no mapping is held and released when its mapping arrives, exactly as if
it had come mapped: the intake projection gives the same events and rows whether a
replay applies the mapping (district partition) before or after the results (student
partitions). Applied by hand, in transactions rolled back, on the service's schema."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from assessment_svc.domain.evidence import submitted_event_id
from assessment_svc.main import SPEC
from assessment_svc.projections.intake import IntakeProjection
from pathwise_contracts import (
    AssessmentRecorded,
    AssessmentVoided,
    CompetencyMapping,
    CompetencyMappingsChanged,
    EnrollmentChanged,
    Envelope,
    Event,
    ResultSubmitted,
    StudentEnrolled,
    SubjectErased,
    SubmissionVoided,
)
from pathwise_runtime import migrations
from pathwise_runtime.projection import Delivered

pytestmark = pytest.mark.integration

T0 = datetime(2026, 9, 1, 10, tzinfo=UTC)
TABLES = ("unmapped", "parked", "resolved", "competency_map")


@pytest.fixture(scope="module")
async def pool(module_database: str) -> AsyncIterator[Any]:
    """The service's schema, no service: the projection is applied by hand."""
    async with asyncpg.create_pool(module_database, min_size=1, max_size=2) as pool:
        async with pool.acquire() as conn:
            every = migrations.runtime_migrations() + migrations.folder_migrations(SPEC.migrations)
            await migrations.migrate(conn, every)
        yield pool


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _delivered(event: Event, district: str, at: datetime, event_id: uuid.UUID) -> Delivered:
    envelope = Envelope.wrap(event, id=event_id, source="urn:test", district_id=district, time=at)
    return Delivered(envelope, event, event.topic, 0, 0)


class World:
    """One district's facts: an enrolled student, a stranger, results, voids, mappings."""

    def __init__(self) -> None:
        self.district = f"m-{secrets.token_hex(4)}"
        self.known, self.stranger = _digest(f"{self.district}-a"), _digest(f"{self.district}-b")
        self.ids: dict[str, uuid.UUID] = {}

    def result(self, name: str, who: str, score: float, activity: str, n: int) -> Delivered:
        self.ids[name] = uuid.uuid4()
        event = ResultSubmitted(
            student_id=f"ext:{who}",
            assessment_id=self.ids[name],
            identity=who,
            activity=activity,
            score=score,
            max_score=100,
            max_score_assumed=True,
            occurred_at=T0,
            source="oneroster",
            source_id=name,
        )
        at = T0 + timedelta(minutes=n)
        return _delivered(event, self.district, at, submitted_event_id(self.ids[name]))

    def mapping(self, district: str, competency: str, minutes: int) -> Delivered:
        event = CompetencyMappingsChanged(
            student_id=f"district:{district}",
            mappings=[
                CompetencyMapping(
                    kind="oneroster_line_item", ref="li-1", competency_id=competency, max_score=10
                )
            ],
            changed_at=T0 + timedelta(minutes=minutes),
        )
        return _delivered(event, district, event.changed_at, uuid.uuid4())

    def facts(self) -> dict[str, list[Delivered]]:
        """Batches a replay may apply in any order (each in log order itself)."""
        enrolled = StudentEnrolled(
            student_id="stu-a", district_id=self.district, identities=[self.known]
        )
        results = [
            self.result("mapped", self.known, 7, "oneroster_line_item:li-1", 1),
            self.result("stranger", self.stranger, 8, "oneroster_line_item:li-1", 2),
            self.result("withdrawn", self.known, 9, "oneroster_line_item:li-1", 3),
            self.result("too-high", self.known, 50, "oneroster_line_item:li-1", 4),
            self.result("elsewhere", self.known, 5, "oneroster_line_item:li-2", 5),
        ]
        void = SubmissionVoided(
            student_id=f"ext:{self.known}",
            assessment_id=self.ids["withdrawn"],
            reason="entered_in_error",
        )
        results.append(_delivered(void, self.district, T0 + timedelta(minutes=6), uuid.uuid4()))
        return {
            "enrolled": [_delivered(enrolled, self.district, T0, uuid.uuid4())],
            "results": results,
            # Another district maps the same line item: it releases nothing here.
            "other": [self.mapping(f"{self.district}-x", "9.X.X.9", 0)],
            "mapping": [self.mapping(self.district, "3.OA.A.3", 0)],
        }


async def _apply(
    pool: Any, world: World, batches: dict[str, list[Delivered]], order: Sequence[str]
) -> tuple[dict[uuid.UUID, tuple[str, Any, datetime]], dict[str, list[dict[str, Any]]]]:
    """The events derived and the rows left, in one transaction rolled back."""
    intake = IntakeProjection(source="urn:test", keyring=lambda: pytest.fail("no keys needed"))
    out: dict[uuid.UUID, tuple[str, Any, datetime]] = {}
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            for name in order:
                for e in await intake.apply(conn, batches[name]):
                    out.setdefault(e.id, (e.type, e.event().model_dump(), e.time))
            rows = {
                table: [
                    dict(r)
                    for r in await conn.fetch(
                        f"SELECT * FROM {table} WHERE district_id = $1 ORDER BY 1, 2, 3",
                        world.district,
                    )
                ]
                for table in TABLES
            }
        finally:
            await tx.rollback()
    return out, rows


ORDERS = [
    ("enrolled", "results", "other", "mapping"),  # results first, mapping later
    ("mapping", "enrolled", "results", "other"),  # mapping first
    ("other", "results", "mapping", "enrolled"),  # released, parked, then enrolled
    ("results", "mapping", "other", "enrolled"),
]


async def test_a_held_result_is_released_the_same_whichever_comes_first(pool: Any) -> None:
    world = World()
    batches = world.facts()
    first_events, first_rows = await _apply(pool, world, batches, ORDERS[0])
    for order in ORDERS[1:]:
        events, rows = await _apply(pool, world, batches, order)
        assert events == first_events, order
        assert rows == first_rows, order

    ids = world.ids
    recorded = {k: v for k, v in first_events.items() if v[0] == AssessmentRecorded.type}
    # Recorded under its own id, at its submission's time, with the mapping's maximum.
    assert set(recorded) == {ids["mapped"], ids["withdrawn"]}
    _, data, time = recorded[ids["mapped"]]
    assert (data["competency_id"], data["score"], data["max_score"]) == ("3.OA.A.3", 7, 10)
    assert (data["student_id"], time) == ("stu-a", T0 + timedelta(minutes=1))
    # Withdrawn before its mapping came: recorded and voided, as if it had come mapped.
    [void] = [v for v in first_events.values() if v[0] == AssessmentVoided.type]
    assert void[1]["assessment_id"] == ids["withdrawn"] and void[2] == T0 + timedelta(minutes=6)
    # Still held: the score exceeds the mapped maximum, or nothing maps its activity.
    held = {r["assessment_id"] for r in first_rows["unmapped"]}
    assert held == {ids["too-high"], ids["elsewhere"]}
    # A student not known yet: released, mapped, and parked until enrolled.
    [parked] = first_rows["parked"]
    assert parked["assessment_id"] == ids["stranger"]
    assert ResultSubmitted.model_validate_json(parked["result"]).competency_id == "3.OA.A.3"
    assert [m["competency_id"] for m in first_rows["competency_map"]] == ["3.OA.A.3"]


async def test_an_older_mapping_never_overwrites_a_newer_one(pool: Any) -> None:
    world = World()
    older = world.mapping(world.district, "3.OA.A.1", 0)
    newer = world.mapping(world.district, "3.OA.A.2", 5)
    batches = {"older": [older], "newer": [newer]}
    for order in (("older", "newer"), ("newer", "older"), ("newer", "older", "newer")):
        _, rows = await _apply(pool, world, batches, order)
        [row] = rows["competency_map"]
        assert (row["competency_id"], row["change_id"]) == ("3.OA.A.2", newer.envelope.id)


async def test_an_erased_students_held_results_are_never_released(pool: Any) -> None:
    world = World()
    batches = world.facts()
    erased = SubjectErased(
        student_id="stu-a", version=2, subject_id="stu-a", kind="student", erased_at=T0
    )
    batches["erased"] = [_delivered(erased, world.district, T0, uuid.uuid4())]
    events, rows = await _apply(pool, world, batches, ("enrolled", "results", "erased", "mapping"))
    assert not [e for e in events.values() if e[0] == AssessmentRecorded.type]
    assert rows["unmapped"] == []
    assert [p["assessment_id"] for p in rows["parked"]] == [world.ids["stranger"]]


async def test_a_change_for_a_student_never_enrolled_leaves_parked_results_parked(
    pool: Any,
) -> None:
    """It names the parked identity, but no enrolment made that identity a student's."""
    world = World()
    batches = world.facts()
    change = EnrollmentChanged(
        student_id="stu-never", version=2, section_ids=[], identities=[world.stranger]
    )
    batches["changed"] = [_delivered(change, world.district, T0, uuid.uuid4())]
    order = ("enrolled", "results", "mapping", "changed")
    events, rows = await _apply(pool, world, batches, order)
    first_events, first_rows = await _apply(pool, world, batches, order[:-1])
    assert (events, rows) == (first_events, first_rows)
    assert [p["assessment_id"] for p in rows["parked"]] == [world.ids["stranger"]]


async def test_a_result_held_before_mappings_were_logged_waits_for_a_replay(pool: Any) -> None:
    """Such a row lacks the result itself: only a replay, reading it again, releases it."""
    world = World()
    legacy = uuid.uuid4()
    async with pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO unmapped (assessment_id, district_id, source, source_id, activity,
                                     occurred_at, submitted_at)
               VALUES ($1, $2, 'oneroster', 'old', 'oneroster_line_item:li-1', $3, $3)""",
            legacy,
            world.district,
            T0,
        )
    batches = {"mapping": [world.mapping(world.district, "3.OA.A.3", 0)]}
    events, rows = await _apply(pool, world, batches, ("mapping",))
    assert events == {} and [r["assessment_id"] for r in rows["unmapped"]] == [legacy]
