"""Projections of path-svc: the tables it builds from the log.

``learning`` turns assessment evidence into mastery estimates and paths and
derives the path events; ``guardianship`` remembers which guardians may read
a student's data. Both read the batch's current rows in one query, decide in
Python and write back with one set-based upsert per table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

import asyncpg
from pydantic import TypeAdapter

from path_svc.domain.framework import Framework
from path_svc.domain.learner import Change, Estimate, Learner
from pathwise_contracts import (
    ASSESSMENT_EVENTS,
    PROFILE_EVENTS,
    AssessmentRecorded,
    CompetencyMastered,
    Envelope,
    GuardianLinked,
    MasteryUpdated,
    PathReplanned,
    PathStep,
)
from pathwise_runtime.projection import Delivered, derive

_STEPS = TypeAdapter(list[PathStep])

_LOAD = """
SELECT s.student_id, p.version, p.steps::text AS steps, p.updated_at AS path_updated_at,
       m.codes, m.ps, m.attempts, m.mastered, m.updated
  FROM unnest($1::text[]) AS s(student_id)
  LEFT JOIN paths p ON p.student_id = s.student_id
  LEFT JOIN LATERAL (
        SELECT array_agg(competency_id) AS codes, array_agg(p_mastery) AS ps,
               array_agg(attempts) AS attempts, array_agg(mastered) AS mastered,
               array_agg(updated_at) AS updated
          FROM mastery WHERE mastery.student_id = s.student_id) m ON true
"""

_STORE_MASTERY = """
INSERT INTO mastery AS m
       (student_id, competency_id, district_id, p_mastery, attempts, mastered, updated_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::int[],
                     $6::bool[], $7::timestamptz[])
ON CONFLICT (student_id, competency_id) DO UPDATE
   SET district_id = excluded.district_id, p_mastery = excluded.p_mastery,
       attempts = excluded.attempts, mastered = excluded.mastered,
       updated_at = excluded.updated_at
"""

_STORE_PATHS = """
INSERT INTO paths AS p (student_id, district_id, version, steps, updated_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::jsonb[], $5::timestamptz[])
ON CONFLICT (student_id) DO UPDATE
   SET district_id = excluded.district_id, version = excluded.version,
       steps = excluded.steps, updated_at = excluded.updated_at
"""


class LearningProjection:
    """Mastery estimates and learning paths from ``assessment.events.v1``.

    AssessmentVoided is accepted and ignored for now: retracting evidence needs
    the per-student evidence history, which BKT's O(1) update does not keep.
    """

    name: str = "learning"
    topics: tuple[str, ...] = (ASSESSMENT_EVENTS.name,)
    tables: tuple[str, ...] = ("mastery", "paths")

    def __init__(self, source: str, framework: Framework | None = None) -> None:
        self.source = source
        self.framework = framework or Framework.load_default()

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Delivered]) -> list[Envelope]:
        evidence = [d for d in batch if isinstance(d.event, AssessmentRecorded)]
        for d in evidence:  # fail before any work; the runtime then isolates the record
            assert isinstance(d.event, AssessmentRecorded)
            if d.event.competency_id not in self.framework:
                raise ValueError(
                    f"competency {d.event.competency_id!r} is not in framework "
                    f"{self.framework.name!r}"
                )
        if not evidence:
            return []
        learners = await _load(conn, sorted({d.envelope.subject for d in evidence}))
        districts: dict[str, str] = {}
        emitted: list[Envelope] = []
        for d in evidence:  # log order, so each student's evidence is applied in order
            event = d.event
            assert isinstance(event, AssessmentRecorded)
            learner = learners[event.student_id]
            districts[event.student_id] = d.envelope.districtid
            change = learner.record(
                self.framework, event.competency_id, event.score, event.max_score, d.envelope.time
            )
            emitted.extend(self._derive(change, event, d.envelope))
        await _store(conn, learners.values(), districts)
        return emitted

    def _derive(self, change: Change, event: AssessmentRecorded, cause: Envelope) -> list[Envelope]:
        student, code = event.student_id, change.competency_id
        out = [
            derive(
                MasteryUpdated(
                    student_id=student,
                    competency_id=code,
                    p_mastery=change.p_mastery,
                    previous=change.previous,
                    evidence_id=event.assessment_id,
                    level=change.level,
                ),
                cause,
                source=self.source,
                parts=["mastery", code],
            )
        ]
        if change.newly_mastered:
            out.append(
                derive(
                    CompetencyMastered(
                        student_id=student,
                        competency_id=code,
                        p_mastery=change.p_mastery,
                        evidence_id=event.assessment_id,
                    ),
                    cause,
                    source=self.source,
                    parts=["mastered", code],
                )
            )
        if change.replan:
            plan = change.replan
            out.append(
                derive(
                    PathReplanned(
                        student_id=student,
                        version=plan.version,
                        steps=plan.steps,
                        added=plan.added,
                        removed=plan.removed,
                        reason=plan.reason,
                        cause_event_id=cause.id,
                    ),
                    cause,
                    source=self.source,
                    parts=["path", str(plan.version)],
                )
            )
        return out


async def _load(conn: asyncpg.Connection, students: list[str]) -> dict[str, Learner]:
    learners: dict[str, Learner] = {}
    for row in await conn.fetch(_LOAD, students):
        learner = Learner(row["student_id"])
        if row["version"] is not None:
            learner.path_version = row["version"]
            learner.steps = _STEPS.validate_json(row["steps"])
            learner.path_updated_at = row["path_updated_at"]
        if row["codes"] is not None:
            learner.estimates = {
                code: Estimate(p, attempts, mastered, updated)
                for code, p, attempts, mastered, updated in zip(
                    row["codes"],
                    row["ps"],
                    row["attempts"],
                    row["mastered"],
                    row["updated"],
                    strict=True,
                )
            }
        learners[learner.student_id] = learner
    return learners


async def _store(
    conn: asyncpg.Connection, learners: Iterable[Learner], districts: dict[str, str]
) -> None:
    mastery: list[tuple[str, str, str, float, int, bool, datetime | None]] = []
    paths: list[tuple[str, str, int, str, datetime | None]] = []
    for learner in learners:
        district = districts[learner.student_id]
        for code in sorted(learner.changed_competencies):
            e = learner.estimates[code]
            mastery.append(
                (
                    learner.student_id,
                    code,
                    district,
                    e.p_mastery,
                    e.attempts,
                    e.mastered,
                    e.updated_at,
                )
            )
        if learner.path_changed:
            steps = json.dumps([s.model_dump(mode="json") for s in learner.steps])
            paths.append(
                (learner.student_id, district, learner.path_version, steps, learner.path_updated_at)
            )
    if mastery:
        await conn.execute(_STORE_MASTERY, *map(list, zip(*mastery, strict=True)))
    if paths:
        await conn.execute(_STORE_PATHS, *map(list, zip(*paths, strict=True)))


class GuardianshipProjection:
    """Guardian links from ``profile.events.v1``, to authorise guardians' reads."""

    name: str = "guardianship"
    topics: tuple[str, ...] = (PROFILE_EVENTS.name,)
    tables: tuple[str, ...] = ("guardians",)

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Delivered]) -> list[Envelope]:
        links: dict[tuple[str, str], tuple[str, str, str, bool, datetime]] = {}
        for d in batch:  # a later link in the batch replaces an earlier one
            if isinstance(d.event, GuardianLinked):
                e = d.event
                links[(e.student_id, e.guardian_id)] = (
                    e.student_id,
                    e.guardian_id,
                    d.envelope.districtid,
                    e.educational_rights,
                    d.envelope.time,
                )
        if links:
            await conn.execute(
                """INSERT INTO guardians AS g
                          (student_id, guardian_id, district_id, educational_rights, linked_at)
                   SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[],
                                        $5::timestamptz[])
                   ON CONFLICT (student_id, guardian_id) DO UPDATE
                      SET district_id = excluded.district_id,
                          educational_rights = excluded.educational_rights,
                          linked_at = excluded.linked_at""",
                *map(list, zip(*links.values(), strict=True)),
            )
        return []
