"""Applying one learner-profile event to the ``profiles`` tables.

These events are rare next to enrollments, so one statement each keeps them
readable; ``SubjectErased`` removes every row about the erased person, which
is why a replay of the whole log ends without a trace of them.
"""

from __future__ import annotations

import json

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


async def _set(conn: asyncpg.Connection, student: Student, version: int, **columns: object) -> None:
    assignments = "".join(f", {name} = ${n}" for n, name in enumerate(columns, start=4))
    await conn.execute(
        f"""UPDATE students SET version = greatest(version, $3){assignments}
             WHERE district_id = $1 AND student_id = $2""",
        *student,
        version,
        *columns.values(),
    )


async def apply(conn: asyncpg.Connection, item: Delivered) -> None:
    """One event, in log order with the folded runs around it; unknown types are ignored.

    Every statement is scoped by the district of the event's envelope.
    """
    event = item.event
    sid = getattr(event, "student_id", None)
    if not isinstance(sid, str):
        return
    student = (item.envelope.districtid, sid)
    if isinstance(event, StudentWithdrawn):
        await _set(
            conn,
            student,
            event.version,
            status="withdrawn",
            withdrawn_on=event.withdrawn_on,
            withdrawal_reason=event.reason,
        )
    elif isinstance(event, StrengthsAndNeedsChanged):
        await _set(conn, student, event.version, strengths=event.strengths, needs=event.needs)
    elif isinstance(event, InterestsChanged):
        await _set(conn, student, event.version, interests=event.interests)
    elif isinstance(event, ModalityPreferencesChanged):
        await _set(
            conn,
            student,
            event.version,
            modality_preferred=[str(m) for m in event.preferred],
            modality_avoided=[str(m) for m in event.avoided],
        )
    elif isinstance(event, AccommodationsChanged):
        await _set(
            conn,
            student,
            event.version,
            accommodation_requirements=event.requirements,
            accommodation_details=_sealed(event.details),
        )
    elif isinstance(event, GoalSet):
        await _goal(conn, student, event, item)
    elif isinstance(event, ReflectionRecorded):
        await _reflection(conn, student, event, item)
    elif isinstance(event, ConsentChanged):
        await _consent(conn, student, event, item)
    elif isinstance(event, EnrollmentChanged):
        await _set(
            conn,
            student,
            event.version,
            school_id=event.school_id,
            grade=event.grade,
            section_ids=event.section_ids,
            display_name=_sealed(event.display_name),
            external_ids=json.dumps(event.external_ids, sort_keys=True),
            external_ids_sealed=_sealed(event.sealed_external_ids),
        )
    elif isinstance(event, GuardianUnlinked):
        await conn.execute(
            "DELETE FROM guardians WHERE district_id = $1 AND student_id = $2 AND guardian_id = $3",
            *student,
            event.guardian_id,
        )
        await _set(conn, student, event.version)
    elif isinstance(event, SubjectErased):
        await _erase(conn, student, event)


async def _goal(
    conn: asyncpg.Connection, student: Student, event: GoalSet, item: Delivered
) -> None:
    await conn.execute(
        """INSERT INTO goals (district_id, student_id, goal_id, competency_ids, target_date,
                              status, agreed_by, note, set_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)
           ON CONFLICT (district_id, student_id, goal_id) DO UPDATE SET
               competency_ids = excluded.competency_ids, target_date = excluded.target_date,
               status = excluded.status, agreed_by = excluded.agreed_by, note = excluded.note,
               set_at = excluded.set_at""",
        *student,
        event.goal_id,
        event.competency_ids,
        event.target_date,
        event.status,
        list(event.agreed_by),
        _sealed(event.note),
        item.envelope.time,
    )
    await _set(conn, student, event.version)


async def _reflection(
    conn: asyncpg.Connection, student: Student, event: ReflectionRecorded, item: Delivered
) -> None:
    await conn.execute(
        """INSERT INTO reflections (district_id, student_id, reflection_id, text, competency_ids,
                                    confidence, recorded_at)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)
           ON CONFLICT (district_id, student_id, reflection_id) DO UPDATE SET
               text = excluded.text, competency_ids = excluded.competency_ids,
               confidence = excluded.confidence, recorded_at = excluded.recorded_at""",
        *student,
        event.reflection_id,
        _sealed(event.text),
        event.competency_ids,
        event.confidence,
        item.envelope.time,
    )
    await _set(conn, student, event.version)


async def _consent(
    conn: asyncpg.Connection, student: Student, event: ConsentChanged, item: Delivered
) -> None:
    await conn.execute(
        """INSERT INTO consent_history (event_id, district_id, student_id, guardian_id, channel,
                                        granted, source, given_at, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (event_id) DO NOTHING""",
        item.envelope.id,
        *student,
        event.guardian_id,
        str(event.channel),
        event.granted,
        event.source,
        event.given_at,
        item.envelope.time,
    )
    await _set(conn, student, event.version)


async def _erase(conn: asyncpg.Connection, student: Student, event: SubjectErased) -> None:
    if event.kind == "student":
        for table in _PER_STUDENT:
            await conn.execute(
                f"DELETE FROM {table} WHERE district_id = $1 AND student_id = $2", *student
            )
        return
    for table in ("guardians", "consent_history"):
        await conn.execute(
            f"DELETE FROM {table} WHERE district_id = $1 AND student_id = $2 AND guardian_id = $3",
            *student,
            event.subject_id,
        )
    await _set(conn, student, event.version)
