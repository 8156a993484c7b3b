"""Reads the portal needs that no other endpoint answers: my sections, and who may sign in.

``/v1/me/sections`` is the teacher's (or admin's) start page: the sections
they teach with how many enrolled students each has. ``/v1/people`` lists
the district's teachers, guardians with educational rights and students by
id, for the development sign-in page of the embedded stack (admins and
services only; no names, no contact details, so nothing is disclosed about
a student and the access log is not involved).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from pathwise_runtime.auth import AdminOrService, CurrentPrincipal
from pathwise_runtime.problems import Problem
from profile_svc.api.stream_http import runtime

router = APIRouter(prefix="/v1", tags=["portal"])
Role = Literal["teacher", "guardian", "student"]


class SectionSummary(BaseModel):
    section_id: str
    students: int = Field(description="Enrolled (not withdrawn or erased) students.")


class Person(BaseModel):
    person_id: str
    role: Role
    hint: str = Field(description="Sections taught, children, or the student's section(s).")


_ENROLLED = """JOIN student_streams AS c USING (district_id, student_id)
    WHERE s.district_id = $1 AND s.status = 'enrolled'
      AND c.state->>'status' IS DISTINCT FROM 'erased'"""


@router.get("/me/sections", response_model=list[SectionSummary])
async def my_sections(who: CurrentPrincipal, request: Request) -> list[SectionSummary]:
    """The sections a teacher teaches (an admin: every section of the district), by id."""
    if who.role not in ("teacher", "admin"):
        raise Problem(403, f"role '{who.role}' teaches no sections; this is for teachers")
    async with runtime(request).pool.acquire() as conn:
        if who.role == "teacher":
            taught = await conn.fetch(
                """SELECT section_id FROM section_teachers
                    WHERE district_id = $1 AND teacher_id = $2 ORDER BY section_id""",
                who.district,
                who.subject,
            )
            sections = [r["section_id"] for r in taught]
        else:
            every = await conn.fetch(
                f"""SELECT DISTINCT unnest(s.section_ids) AS section_id FROM students AS s
                    {_ENROLLED} ORDER BY 1""",
                who.district,
            )
            sections = [r["section_id"] for r in every]
        counts = await conn.fetch(
            """SELECT u.section_id, count(*) AS n
                 FROM students AS s JOIN student_streams AS c USING (district_id, student_id),
                      unnest(s.section_ids) AS u(section_id)
                WHERE s.district_id = $1 AND s.status = 'enrolled'
                  AND c.state->>'status' IS DISTINCT FROM 'erased'
                  AND u.section_id = ANY($2::text[])
                GROUP BY u.section_id""",
            who.district,
            sections,
        )
    n = {r["section_id"]: int(r["n"]) for r in counts}
    return [SectionSummary(section_id=s, students=n.get(s, 0)) for s in sections]


@router.get("/people", response_model=list[Person])
async def people(
    who: AdminOrService,
    request: Request,
    role: Role,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Person]:
    """Ids of the district's people in one role, ordered by id (development sign-in)."""
    async with runtime(request).pool.acquire() as conn:
        if role == "teacher":
            rows = await conn.fetch(
                """SELECT teacher_id AS id, string_agg(section_id, ', ' ORDER BY section_id) AS hint
                     FROM section_teachers WHERE district_id = $1
                    GROUP BY teacher_id ORDER BY teacher_id LIMIT $2""",
                who.district,
                limit,
            )
        elif role == "guardian":
            rows = await conn.fetch(
                f"""SELECT g.guardian_id AS id,
                           string_agg(s.student_id, ', ' ORDER BY s.student_id) AS hint
                      FROM guardians AS g JOIN students AS s USING (district_id, student_id)
                           {_ENROLLED}
                       AND g.educational_rights
                     GROUP BY g.guardian_id ORDER BY g.guardian_id LIMIT $2""",
                who.district,
                limit,
            )
        else:
            rows = await conn.fetch(
                f"""SELECT s.student_id AS id, array_to_string(s.section_ids, ', ') AS hint
                      FROM students AS s {_ENROLLED} ORDER BY s.student_id LIMIT $2""",
                who.district,
                limit,
            )
    return [Person(person_id=r["id"], role=role, hint=r["hint"] or "") for r in rows]
