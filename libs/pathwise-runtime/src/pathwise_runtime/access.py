"""The roster facts ``policy`` decides on, projected from the profile log, and the check.

A service that answers requests about students runs ``AccessProjection``
(alone, or inside a projection of its own on ``profile.events.v1``) and calls
``authorize`` before it reads or writes. The table is a projection like any
other: replay rebuilds it.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from pathwise_contracts import (
    PROFILE_EVENTS,
    Envelope,
    GuardianLinked,
    GuardianUnlinked,
    StudentEnrolled,
    SubjectErased,
    TeachersAssigned,
)
from pathwise_runtime.auth import Principal
from pathwise_runtime.policy import Act, StudentAccess, decide
from pathwise_runtime.problems import Problem
from pathwise_runtime.projection import Delivered

_SET_GUARDIAN = """
UPDATE student_access
   SET guardian_ids = array_remove(guardian_ids, $3::text)
                      || CASE WHEN $4::bool THEN ARRAY[$3::text] ELSE '{}'::text[] END
 WHERE district_id = $1 AND student_id = $2 AND NOT erased
"""


class AccessProjection:
    """Teachers and rights-holding guardians of each student, by (district, student)."""

    name: str = "access"
    topics: tuple[str, ...] = (PROFILE_EVENTS.name,)
    tables: tuple[str, ...] = ("student_access",)

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Delivered]) -> list[Envelope]:
        """In log order; a run of enrolments (a roster import, a replay) is one statement."""
        enrolled: list[tuple[str, str]] = []
        for d in batch:
            if isinstance(d.event, StudentEnrolled):
                enrolled.append((d.envelope.districtid, d.event.student_id))
                continue
            await self._enrol(conn, enrolled)
            await self._apply(conn, d.envelope.districtid, d.event)
        await self._enrol(conn, enrolled)
        return []

    @staticmethod
    async def _enrol(conn: asyncpg.Connection, enrolled: list[tuple[str, str]]) -> None:
        if enrolled:
            await conn.execute(
                """INSERT INTO student_access (district_id, student_id)
                   SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING""",
                [district for district, _ in enrolled],
                [student for _, student in enrolled],
            )
            enrolled.clear()

    @staticmethod
    async def _apply(conn: asyncpg.Connection, district: str, event: object) -> None:
        if isinstance(event, GuardianLinked):
            await conn.execute(
                _SET_GUARDIAN,
                district,
                event.student_id,
                event.guardian_id,
                event.educational_rights,
            )
        elif isinstance(event, GuardianUnlinked) or (
            isinstance(event, SubjectErased) and event.kind == "guardian"
        ):
            guardian = (
                event.guardian_id if isinstance(event, GuardianUnlinked) else event.subject_id
            )
            await conn.execute(_SET_GUARDIAN, district, event.student_id, guardian, False)
        elif isinstance(event, SubjectErased):
            await conn.execute(
                """UPDATE student_access SET erased = true, teacher_ids = '{}', guardian_ids = '{}'
                    WHERE district_id = $1 AND student_id = $2""",
                district,
                event.student_id,
            )
        elif isinstance(event, TeachersAssigned):
            await conn.execute(
                """UPDATE student_access SET teacher_ids = $3
                    WHERE district_id = $1 AND student_id = $2 AND NOT erased""",
                district,
                event.student_id,
                sorted({t.teacher_id for t in event.teachers}),
            )


async def access_of(
    conn: asyncpg.Connection, district: str, student_id: str
) -> StudentAccess | None:
    row = await conn.fetchrow(
        """SELECT teacher_ids, guardian_ids, erased FROM student_access
            WHERE district_id = $1 AND student_id = $2""",
        district,
        student_id,
    )
    return None if row is None else _access(district, student_id, row)


def _access(district: str, student_id: str, row: asyncpg.Record) -> StudentAccess:
    return StudentAccess(
        district=district,
        student_id=student_id,
        teachers=frozenset(row["teacher_ids"]),
        guardians=frozenset(row["guardian_ids"]),
        erased=row["erased"],
    )


# What ``check`` decides on, with the district as $1 and the student as $2: the caller's
# district's row if there is one, else any other district's (the student is held elsewhere).
ACCESS_ROW = """SELECT district_id = $1 AS here, teacher_ids, guardian_ids, erased
                  FROM student_access WHERE student_id = $2
                 ORDER BY district_id = $1 DESC LIMIT 1"""


def check(who: Principal, act: Act, student_id: str, row: asyncpg.Record | None) -> None:
    """Raise the policy's answer on ``ACCESS_ROW``'s row as problem+json, if it denies.

    ``here`` NULL (a row made by an outer join on no match) is a student nobody holds.
    """
    here = None if row is None else row["here"]
    access = _access(who.district, student_id, row) if row is not None and here else None
    denied = decide(who, act, student_id, access, known_elsewhere=here is False)
    if denied is not None:
        raise Problem(denied.status, denied.detail)


async def authorize(conn: asyncpg.Connection, who: Principal, act: Act, student_id: str) -> None:
    """Raise the policy's answer as problem+json unless ``who`` may ``act`` on the student."""
    check(who, act, student_id, await conn.fetchrow(ACCESS_ROW, who.district, student_id))
