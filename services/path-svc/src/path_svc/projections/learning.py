"""The ``learning`` projection: mastery estimates and the evidence behind them.

Reads ``assessment.events.v1``. Each result updates the estimate in O(1) and
is kept in ``evidence`` with its place in the log, so that a voided result is
taken out by re-running the competency's remaining evidence in that order:
the outcome is the same live and on replay. Emits ``MasteryUpdated`` (with
the attempt count the planner needs and the next-answer model's prediction)
and ``CompetencyMastered``; planning happens downstream, on path-svc's own
topic (see ``planning``). The next-answer model's state per student is kept in
``response_state``, updated in the same log order.

Evidence counts on any code the district has ever published (``frameworks``),
with the parameters of the framework that introduced the code; a code's first
evidence starts from the estimate its associations carry over
(``domain.carryover``), as planning carried it when the district switched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

import asyncpg

from path_svc.domain import next_answer, response
from path_svc.domain.carryover import carry
from path_svc.domain.framework import Framework
from path_svc.domain.learner import Change, Estimate, Learner
from path_svc.domain.mastery import fraction
from path_svc.domain.planner import Standing
from path_svc.projections import erasure
from path_svc.projections.erasure import Student
from path_svc.projections.frameworks import Known, Library
from pathwise_contracts import (
    ASSESSMENT_EVENTS,
    AssessmentRecorded,
    AssessmentVoided,
    CompetencyMastered,
    Envelope,
    MasteryUpdated,
)
from pathwise_runtime.projection import Delivered, derive

Proof = tuple[str, str, UUID]
"""(district, student, assessment): one piece of evidence."""

_LOAD = (
    """
SELECT district_id, student_id, competency_id, p_mastery, attempts, mastered, updated_at,
       mastered_at
  FROM mastery WHERE """
    + erasure.AMONG
)

_STORE_MASTERY = """
INSERT INTO mastery AS m
       (student_id, competency_id, district_id, p_mastery, attempts, mastered, updated_at,
        mastered_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::int[],
                     $6::bool[], $7::timestamptz[], $8::timestamptz[])
ON CONFLICT (district_id, student_id, competency_id) DO UPDATE
   SET p_mastery = excluded.p_mastery,
       attempts = excluded.attempts, mastered = excluded.mastered,
       updated_at = excluded.updated_at, mastered_at = excluded.mastered_at
"""

_STORE_EVIDENCE = """
INSERT INTO evidence (district_id, student_id, assessment_id, competency_id, fraction,
                      log_partition, log_offset, recorded_at, voided)
SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::float8[], $6::int[],
                     $7::int8[], $8::timestamptz[], $9::bool[])
ON CONFLICT (district_id, student_id, assessment_id) DO UPDATE SET voided = excluded.voided
"""

_STORE_STATE = """
INSERT INTO response_state (district_id, student_id, numbers, last_skill, skills)
SELECT (r).* FROM unnest($1::response_row[]) AS r
ON CONFLICT (district_id, student_id) DO UPDATE
   SET numbers = excluded.numbers, last_skill = excluded.last_skill, skills = excluded.skills
"""


@dataclass(slots=True)
class Evidence:
    """One result as BKT saw it, and where in the log."""

    district_id: str
    student_id: str
    assessment_id: UUID
    competency_id: str
    fraction: float
    partition: int
    offset: int
    recorded_at: datetime
    voided: bool = False

    def row(self) -> tuple[str, str, UUID, str, float, int, int, datetime, bool]:
        return (
            self.district_id,
            self.student_id,
            self.assessment_id,
            self.competency_id,
            self.fraction,
            self.partition,
            self.offset,
            self.recorded_at,
            self.voided,
        )


class LearningProjection:
    """Mastery estimates and per-assessment evidence from ``assessment.events.v1``."""

    name: str = "learning"
    topics: tuple[str, ...] = (ASSESSMENT_EVENTS.name,)
    tables: tuple[str, ...] = ("mastery", "evidence", "response_state")

    def __init__(self, source: str, framework: Framework | None = None) -> None:
        self.source = source
        self.library = Library(framework)
        self._models: dict[int, tuple[Framework, response.ResponseModel]] = {}

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Delivered]) -> list[Envelope]:
        items = [d for d in batch if isinstance(d.event, AssessmentRecorded | AssessmentVoided)]
        if not items:
            return []
        published = {
            district: await self.library.known(conn, district)
            for district in sorted({d.envelope.districtid for d in items})
        }
        for d in items:  # fail before any work; the runtime then isolates the record
            if isinstance(d.event, AssessmentRecorded):
                self._check(published[d.envelope.districtid].framework, d.event.competency_id)
        gone = await erasure.guard(conn, (erasure.of(d.envelope) for d in items))
        items = [d for d in items if erasure.of(d.envelope) not in gone]
        learners = await _load(conn, sorted({erasure.of(d.envelope) for d in items}))
        known = await _evidence_of(conn, items)
        touched: dict[Proof, Evidence] = {}
        emitted: list[Envelope] = []
        for d in items:  # log order, so each student's evidence is applied in order
            event, student = d.event, erasure.of(d.envelope)
            learner = learners[student]  # _load made one for each student of the batch
            framework = published[student[0]].framework
            if isinstance(event, AssessmentRecorded):
                _carry_into(learner, published[student[0]], event.competency_id)
                change = learner.record(
                    framework,
                    event.competency_id,
                    event.score,
                    event.max_score,
                    d.envelope.time,
                    self._model(framework),
                )
                proof = Evidence(
                    student[0],
                    event.student_id,
                    event.assessment_id,
                    event.competency_id,
                    fraction(event.score, event.max_score),
                    d.partition,
                    d.offset,
                    d.envelope.time,
                )
                known.setdefault(student, {})[event.assessment_id] = proof
                touched[(*student, event.assessment_id)] = proof
                emitted.extend(self._derive(change, event.assessment_id, d.envelope))
            elif isinstance(event, AssessmentVoided):
                theirs = known.get(student, {})
                proof_or_none = theirs.get(event.assessment_id)
                if proof_or_none is None or proof_or_none.voided:
                    continue  # nothing (more) to retract
                proof_or_none.voided = True
                touched[(*student, event.assessment_id)] = proof_or_none
                remaining = _remaining(theirs)
                change = learner.recompute(
                    framework,
                    proof_or_none.competency_id,
                    [
                        e.fraction
                        for e in remaining
                        if e.competency_id == proof_or_none.competency_id
                    ],
                    d.envelope.time,
                )
                p_correct = learner.rewalk(
                    self._model(framework),
                    [(e.competency_id, e.fraction) for e in remaining],
                    proof_or_none.competency_id,
                )
                change = replace(change, p_correct=p_correct)
                emitted.extend(self._derive(change, event.assessment_id, d.envelope))
        await _store(conn, learners, touched.values())
        return emitted

    def _model(self, framework: Framework) -> response.ResponseModel:
        """The next-answer model over one of the district frameworks (the library keeps
        each framework object, so it is built once per framework)."""
        found = self._models.get(id(framework))
        if found is None or found[0] is not framework:
            found = self._models[id(framework)] = (framework, next_answer.for_framework(framework))
        return found[1]

    def _check(self, framework: Framework, competency_id: str) -> None:
        if competency_id not in framework:
            raise ValueError(f"competency {competency_id!r} is not in the district's frameworks")

    def _derive(self, change: Change, evidence_id: UUID, cause: Envelope) -> list[Envelope]:
        student, code = cause.subject, change.competency_id
        out = [
            derive(
                MasteryUpdated(
                    student_id=student,
                    competency_id=code,
                    p_mastery=change.p_mastery,
                    previous=change.previous,
                    evidence_id=evidence_id,
                    level=change.level,
                    attempts=change.attempts,
                    p_correct=change.p_correct,
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
                        evidence_id=evidence_id,
                    ),
                    cause,
                    source=self.source,
                    parts=["mastered", code],
                )
            )
        return out


def _carry_into(learner: Learner, known: Known, code: str) -> None:
    """Seed a code's first estimate from the codes its associations name (if any)."""
    links = known.links.get(code)
    if not links or code in learner.estimates:
        return
    standing = {c: Standing(e.p_mastery, e.attempts) for c, e in learner.estimates.items()}
    carried = carry(standing, known.framework, links).estimates.get(code)
    if carried is not None:
        learner.estimates[code] = Estimate(carried.p, carried.attempts)


async def _load(conn: asyncpg.Connection, students: list[Student]) -> dict[Student, Learner]:
    learners = {s: Learner(s[1]) for s in students}
    rows = await conn.fetch(_LOAD, *erasure.columns(students))
    for r in rows:
        learners[(r["district_id"], r["student_id"])].estimates[r["competency_id"]] = Estimate(
            r["p_mastery"], r["attempts"], r["mastered"], r["updated_at"], r["mastered_at"]
        )
    states = await conn.fetch(
        "SELECT district_id, student_id, numbers, last_skill, skills FROM response_state WHERE "
        + erasure.AMONG,
        *erasure.columns(students),
    )
    for r in states:
        learners[(r["district_id"], r["student_id"])].answers = response.unpack(
            r["numbers"], r["last_skill"], r["skills"]
        )
    return learners


async def _evidence_of(
    conn: asyncpg.Connection, items: Iterable[Delivered]
) -> dict[Student, dict[UUID, Evidence]]:
    """All stored evidence of the students whose results this batch voids, by assessment,
    in one statement: a void re-runs the student's remaining evidence (voids are rare)."""
    students = [erasure.of(d.envelope) for d in items if isinstance(d.event, AssessmentVoided)]
    if not students:
        return {}
    rows = await conn.fetch(
        "SELECT * FROM evidence WHERE " + erasure.AMONG, *erasure.columns(students)
    )
    out: dict[Student, dict[UUID, Evidence]] = {s: {} for s in students}
    for e in map(_evidence, rows):
        out[(e.district_id, e.student_id)][e.assessment_id] = e
    return out


def _remaining(evidence: dict[UUID, Evidence]) -> list[Evidence]:
    """The student's evidence that still counts, every competency, in log order (stored and
    this batch's): BKT re-runs the voided one's, the next-answer model all of it."""
    return sorted(
        (e for e in evidence.values() if not e.voided), key=lambda e: (e.partition, e.offset)
    )


def _evidence(r: asyncpg.Record) -> Evidence:
    return Evidence(
        r["district_id"],
        r["student_id"],
        r["assessment_id"],
        r["competency_id"],
        r["fraction"],
        r["log_partition"],
        r["log_offset"],
        r["recorded_at"],
        r["voided"],
    )


async def _store(
    conn: asyncpg.Connection,
    learners: dict[Student, Learner],
    evidence: Iterable[Evidence],
) -> None:
    mastery: list[tuple[str, str, str, float, int, bool, datetime | None, datetime | None]] = []
    for (district, student), learner in learners.items():
        for code in sorted(learner.changed_competencies):
            e = learner.estimates[code]
            mastery.append(
                (
                    student,
                    code,
                    district,
                    e.p_mastery,
                    e.attempts,
                    e.mastered,
                    e.updated_at,
                    e.mastered_at,
                )
            )
    rows = [e.row() for e in evidence]
    states = [
        (district, student, *response.pack(learner.answers))
        for (district, student), learner in sorted(learners.items())
        if learner.answers_changed
    ]
    if states:
        await conn.execute(_STORE_STATE, states)
    if mastery:
        await conn.execute(_STORE_MASTERY, *map(list, zip(*mastery, strict=True)))
    if rows:
        await conn.execute(_STORE_EVIDENCE, *map(list, zip(*rows, strict=True)))
