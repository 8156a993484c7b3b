"""Erasure across path-svc's projections: drop every row about a student, then ignore them.

``SubjectErased`` arrives on the profile topic, while evidence and path facts
about the same student arrive on other topics in an order replay cannot
reproduce. A tombstone makes the outcome order-free: rows written before the
erasure are deleted with it, facts applied after it are skipped, so live and
replayed tables both end without the student.

The race between an erasure and a batch that is about to write rows for the
student is closed with one table lock per batch (not one per student):
projections that write student rows take ``SHARE`` on ``erased_students``
before reading it; an erasure first takes ``SHARE ROW EXCLUSIVE``, which
conflicts with both ``SHARE`` and itself, so erasures and writing batches
serialise and two erasures cannot deadlock. A transaction that erases must
do so before it takes ``SHARE`` (``intake`` runs the profile part first).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import asyncpg

from pathwise_contracts import Envelope
from pathwise_runtime import keystore

STUDENT_TABLES = (
    "mastery",
    "evidence",
    "response_state",
    "learners",
    "planners",
    "paths",
    "path_history",
)

Student = tuple[str, str]
"""(district, student id): every path-svc row is keyed by both, so one district's
events and erasures never reach another's student of the same id."""


def of(envelope: Envelope) -> Student:
    return (envelope.districtid, envelope.subject)


AMONG = "(district_id, student_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))"
"""The rows of the students passed as ``columns(students)`` ($1 districts, $2 ids)."""


def columns(students: Iterable[Student]) -> tuple[list[str], list[str]]:
    wanted = sorted(set(students))
    return [d for d, _ in wanted], [s for _, s in wanted]


async def guard(conn: asyncpg.Connection, students: Iterable[Student]) -> set[Student]:
    """Lock out concurrent erasures for this transaction; the erased among ``students``."""
    await conn.execute("LOCK TABLE erased_students IN SHARE MODE")
    return await erased(conn, students)


async def erased(conn: asyncpg.Connection, students: Iterable[Student]) -> set[Student]:
    """The erased among ``students``, without the lock (for a transaction that may erase)."""
    rows = await conn.fetch(
        f"SELECT district_id, student_id FROM erased_students WHERE {AMONG}", *columns(students)
    )
    return {(r["district_id"], r["student_id"]) for r in rows}


NOTES = "student"
"""Keystore kind of the key a student's teacher notes are sealed with."""


async def erase(conn: asyncpg.Connection, student: Student, at: datetime) -> None:
    """Tombstone first (it waits for batches in flight), then delete everywhere, and
    destroy the key the teachers' notes about them are sealed with."""
    district, student_id = student
    await conn.execute("LOCK TABLE erased_students IN SHARE ROW EXCLUSIVE MODE")
    await conn.execute(
        """INSERT INTO erased_students (district_id, student_id, erased_at) VALUES ($1, $2, $3)
           ON CONFLICT (district_id, student_id) DO NOTHING""",
        district,
        student_id,
        at,
    )
    for table in STUDENT_TABLES:
        await conn.execute(
            f"DELETE FROM {table} WHERE district_id = $1 AND student_id = $2", district, student_id
        )
    await keystore.destroy(conn, district, NOTES, [student_id])
