"""Applying learner-profile events to the ``profiles`` tables.

Each event is a short list of statements; a run of them between erasures goes
as few pipelined round trips as log order allows (``apply_run``).
``SubjectErased`` removes every row about the erased person, which is why a
replay of the whole log ends without a trace of them.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from pathwise_contracts import (
    AccommodationsChanged,
    ConsentChanged,
    EncryptedValue,
    EnrollmentChanged,
    GoalSet,
    GuardianUnlinked,
    InterestsChanged,
    ModalityPreferencesChanged,
    ReflectionRecorded,
    StrengthsAndNeedsChanged,
    StudentWithdrawn,
    SubjectErased,
)
from pathwise_runtime.projection import Delivered

Student = tuple[str, str]
"""(district, student id), the district taken from the event's envelope."""

TABLES = ("students", "guardians", "goals", "reflections", "consent_history")
"""Every table of the projection; replay truncates and compares them."""

_PER_STUDENT = ("students", "guardians", "goals", "reflections", "consent_history")


def _sealed(value: EncryptedValue | None) -> str | None:
    return value.model_dump_json() if value else None


class Statement(NamedTuple):
    """One statement of an event, with the table it writes (how a run is grouped)."""

    table: str
    sql: str
    args: tuple[object, ...]


VERSIONS = "students.version"
"""A version-only update: ``greatest`` commutes with every other write to students."""


def _set(student: Student, version: int, **columns: object) -> Statement:
    assignments = "".join(f", {name} = ${n}" for n, name in enumerate(columns, start=4))
    return Statement(
        "students" if columns else VERSIONS,
        f"""UPDATE students SET version = greatest(version, $3){assignments}
             WHERE district_id = $1 AND student_id = $2""",
        (*student, version, *columns.values()),
    )


def is_barrier(item: Delivered) -> bool:
    """An erasure deletes across every table, so nothing is moved across it."""
    return isinstance(item.event, SubjectErased)


async def apply(conn: asyncpg.Connection, item: Delivered) -> None:
    """One event's statements, in order."""
    for statement in statements(item):
        await conn.execute(statement.sql, *statement.args)


async def apply_run(conn: asyncpg.Connection, run: Sequence[Delivered]) -> None:
    """A run of events without a barrier, as few round trips as the log order allows.

    Statements on different tables commute (none reads another's table), so each
    table's statements keep their own order; consecutive ones with the same text
    go as one pipelined ``executemany``. Version-only updates go last: ``greatest``
    gives the same version in any order, and no other column depends on it.
    """
    by_table: dict[str, list[Statement]] = {}
    for item in run:
        for statement in statements(item):
            by_table.setdefault(statement.table, []).append(statement)
    versions = by_table.pop(VERSIONS, [])
    for table_statements in [*by_table.values(), versions]:
        for sql, group in itertools.groupby(table_statements, key=lambda s: s.sql):
            await conn.executemany(sql, [s.args for s in group])


def statements(item: Delivered) -> list[Statement]:
    """What one event writes, in order; unknown types write nothing.

    Every statement is scoped by the district of the event's envelope.
    """
    event = item.event
    sid = getattr(event, "student_id", None)
    if not isinstance(sid, str):
        return []
    student = (item.envelope.districtid, sid)
    if isinstance(event, StudentWithdrawn):
        return [
            _set(
                student,
                event.version,
                status="withdrawn",
                withdrawn_on=event.withdrawn_on,
                withdrawal_reason=event.reason,
            )
        ]
    if isinstance(event, StrengthsAndNeedsChanged):
        return [_set(student, event.version, strengths=event.strengths, needs=event.needs)]
    if isinstance(event, InterestsChanged):
        return [_set(student, event.version, interests=event.interests)]
    if isinstance(event, ModalityPreferencesChanged):
        return [
            _set(
                student,
                event.version,
                modality_preferred=[str(m) for m in event.preferred],
                modality_avoided=[str(m) for m in event.avoided],
            )
        ]
    if isinstance(event, AccommodationsChanged):
        return [
            _set(
                student,
                event.version,
                accommodation_requirements=event.requirements,
                accommodation_details=_sealed(event.details),
            )
        ]
    if isinstance(event, GoalSet):
        return [_goal(student, event, item), _set(student, event.version)]
    if isinstance(event, ReflectionRecorded):
        return [_reflection(student, event, item), _set(student, event.version)]
    if isinstance(event, ConsentChanged):
        return [_consent(student, event, item), _set(student, event.version)]
    if isinstance(event, EnrollmentChanged):
        return [
            _set(
                student,
                event.version,
                school_id=event.school_id,
                grade=event.grade,
                section_ids=event.section_ids,
                display_name=_sealed(event.display_name),
                external_ids=json.dumps(event.external_ids, sort_keys=True),
                external_ids_sealed=_sealed(event.sealed_external_ids),
            )
        ]
    if isinstance(event, GuardianUnlinked):
        return [
            Statement(
                "guardians",
                "DELETE FROM guardians"
                " WHERE district_id = $1 AND student_id = $2 AND guardian_id = $3",
                (*student, event.guardian_id),
            ),
            _set(student, event.version),
        ]
    if isinstance(event, SubjectErased):
        return _erase(student, event)
    return []


def _goal(student: Student, event: GoalSet, item: Delivered) -> Statement:
    return Statement(
        "goals",
        """INSERT INTO goals (district_id, student_id, goal_id, competency_ids, target_date,
                              status, agreed_by, note, set_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)
           ON CONFLICT (district_id, student_id, goal_id) DO UPDATE SET
               competency_ids = excluded.competency_ids, target_date = excluded.target_date,
               status = excluded.status, agreed_by = excluded.agreed_by, note = excluded.note,
               set_at = excluded.set_at""",
        (
            *student,
            event.goal_id,
            event.competency_ids,
            event.target_date,
            event.status,
            list(event.agreed_by),
            _sealed(event.note),
            item.envelope.time,
        ),
    )


def _reflection(student: Student, event: ReflectionRecorded, item: Delivered) -> Statement:
    return Statement(
        "reflections",
        """INSERT INTO reflections (district_id, student_id, reflection_id, text, competency_ids,
                                    confidence, recorded_at)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)
           ON CONFLICT (district_id, student_id, reflection_id) DO UPDATE SET
               text = excluded.text, competency_ids = excluded.competency_ids,
               confidence = excluded.confidence, recorded_at = excluded.recorded_at""",
        (
            *student,
            event.reflection_id,
            _sealed(event.text),
            event.competency_ids,
            event.confidence,
            item.envelope.time,
        ),
    )


def _consent(student: Student, event: ConsentChanged, item: Delivered) -> Statement:
    return Statement(
        "consent_history",
        """INSERT INTO consent_history (event_id, district_id, student_id, guardian_id, channel,
                                        granted, source, given_at, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (event_id) DO NOTHING""",
        (
            item.envelope.id,
            *student,
            event.guardian_id,
            str(event.channel),
            event.granted,
            event.source,
            event.given_at,
            item.envelope.time,
        ),
    )


def _erase(student: Student, event: SubjectErased) -> list[Statement]:
    if event.kind == "student":
        return [
            Statement(
                table, f"DELETE FROM {table} WHERE district_id = $1 AND student_id = $2", student
            )
            for table in _PER_STUDENT
        ]
    return [
        *(
            Statement(
                table,
                f"DELETE FROM {table}"
                " WHERE district_id = $1 AND student_id = $2 AND guardian_id = $3",
                (*student, event.subject_id),
            )
            for table in ("guardians", "consent_history")
        ),
        _set(student, event.version),
    ]
