"""District aggregates for administrators' pages: counts only, never a student.

``/v1/district/accommodations``: each accommodation code in use and how many
enrolled students have it. ``/v1/district/mastery``: per school and grade,
how many students, how many have evidence, and competencies mastered. Only
numbers leave, for admins and services only: an admin may open every record
of the district anyway, and a count is not a read of a record, so the access
log is not involved (a group of one student does show that student's count).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from pathwise_runtime.auth import AdminOrService
from profile_svc.api.stream_http import runtime

router = APIRouter(prefix="/v1/district", tags=["district"])

_FROM = "FROM students AS s JOIN student_streams AS c USING (district_id, student_id)"
_WHERE = """WHERE s.district_id = $1 AND s.status = 'enrolled'
      AND c.state->>'status' IS DISTINCT FROM 'erased'"""


class AccommodationInUse(BaseModel):
    code: str
    students: int


class MasteryGroup(BaseModel):
    school_id: str | None
    grade: str | None
    students: int
    with_evidence: int
    mastered: int
    """Competencies mastered, summed over the group's students."""


@router.get("/accommodations", response_model=list[AccommodationInUse])
async def accommodations_in_use(who: AdminOrService, request: Request) -> list[AccommodationInUse]:
    async with runtime(request).pool.acquire() as conn:
        rows = await conn.fetch(
            f"""SELECT u.code, count(*) AS n
                  {_FROM}, unnest(s.accommodation_requirements) AS u(code) {_WHERE}
                 GROUP BY u.code ORDER BY u.code""",
            who.district,
        )
    return [AccommodationInUse(code=r["code"], students=int(r["n"])) for r in rows]


@router.get("/mastery", response_model=list[MasteryGroup])
async def mastery_by_school_and_grade(who: AdminOrService, request: Request) -> list[MasteryGroup]:
    async with runtime(request).pool.acquire() as conn:
        rows = await conn.fetch(
            f"""WITH per AS (
                    SELECT s.school_id, s.grade, s.student_id,
                           (SELECT count(*) FROM mastery AS m WHERE m.district_id = s.district_id
                               AND m.student_id = s.student_id) AS known,
                           (SELECT count(*) FROM mastery AS m WHERE m.district_id = s.district_id
                               AND m.student_id = s.student_id AND m.mastered) AS mastered
                    {_FROM} {_WHERE})
                SELECT school_id, grade, count(*) AS students,
                       count(*) FILTER (WHERE known > 0) AS with_evidence,
                       coalesce(sum(mastered), 0) AS mastered
                  FROM per GROUP BY school_id, grade
                 ORDER BY school_id NULLS LAST, grade NULLS LAST""",
            who.district,
        )
    return [
        MasteryGroup(
            school_id=r["school_id"],
            grade=r["grade"],
            students=int(r["students"]),
            with_evidence=int(r["with_evidence"]),
            mastered=int(r["mastered"]),
        )
        for r in rows
    ]
