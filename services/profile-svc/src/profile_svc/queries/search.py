"""Finding students by school, section and grade, within what the caller may see.

The scope is the same rule as ``domain.access.sees``, written as SQL so a
teacher's search never loads another section's students: admins and services
see the district, teachers their sections, guardians their children for whom
they hold educational rights, a student themself.
"""

from __future__ import annotations

import asyncpg
from pydantic import BaseModel

from pathwise_contracts import EncryptedValue
from profile_svc.adapters.personal import PersonalData
from profile_svc.domain.access import Viewer


class StudentSummary(BaseModel):
    student_id: str
    school_id: str | None
    grade: str | None
    section_ids: list[str]
    display_name: str | None
    status: str


_SCOPE = """
    CASE $7::text
      WHEN 'admin' THEN true
      WHEN 'service' THEN true
      WHEN 'teacher' THEN s.section_ids && $8::text[]
      WHEN 'guardian' THEN EXISTS (SELECT 1 FROM guardians AS g
                                    WHERE g.district_id = s.district_id
                                      AND g.student_id = s.student_id AND g.guardian_id = $9
                                      AND g.educational_rights)
      WHEN 'student' THEN s.student_id = $9
      ELSE false
    END"""


async def students(
    conn: asyncpg.Connection,
    viewer: Viewer,
    personal: PersonalData,
    *,
    school: str | None,
    section: str | None,
    grade: str | None,
    after: str | None,
    limit: int,
) -> list[StudentSummary]:
    """One page, ordered by student id; pass the last id as ``after`` for the next."""
    rows = await conn.fetch(
        f"""SELECT s.student_id, s.school_id, s.grade, s.section_ids, s.display_name, s.status
              FROM students AS s JOIN student_streams AS c USING (district_id, student_id)
             WHERE s.district_id = $1 AND c.state->>'status' IS DISTINCT FROM 'erased'
               AND ($2::text IS NULL OR s.school_id = $2)
               AND ($3::text IS NULL OR $3 = ANY (s.section_ids))
               AND ($4::text IS NULL OR s.grade = $4)
               AND ($5::text IS NULL OR s.student_id > $5)
               AND {_SCOPE}
             ORDER BY s.student_id LIMIT $6""",
        viewer.district,
        school,
        section,
        grade,
        after,
        limit,
        viewer.role,
        sorted(viewer.sections),
        viewer.subject,
    )
    names = {
        r["student_id"]: EncryptedValue.model_validate_json(r["display_name"])
        for r in rows
        if r["display_name"]
    }
    vault = await personal.vault(conn, viewer.district, kids=[v.kid for v in names.values()])
    return [
        StudentSummary(
            student_id=r["student_id"],
            school_id=r["school_id"],
            grade=r["grade"],
            section_ids=r["section_ids"],
            display_name=vault.open(names.get(r["student_id"])),
            status=r["status"],
        )
        for r in rows
    ]
