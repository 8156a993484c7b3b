"""Who is asking, with what the roster says about them (a teacher's sections)."""

from __future__ import annotations

import asyncpg

from pathwise_runtime.auth import Principal
from profile_svc.domain.access import Viewer


async def viewer(conn: asyncpg.Connection, who: Principal) -> Viewer:
    sections: frozenset[str] = frozenset()
    if who.role == "teacher":
        rows = await conn.fetch(
            "SELECT section_id FROM section_teachers WHERE district_id = $1 AND teacher_id = $2",
            who.district,
            who.subject,
        )
        sections = frozenset(r["section_id"] for r in rows)
    return Viewer(role=who.role, subject=who.subject, district=who.district, sections=sections)


async def assign_teachers(
    conn: asyncpg.Connection, district: str, section_id: str, teacher_ids: list[str]
) -> None:
    """Replace who teaches a section (roster sync or an admin)."""
    async with conn.transaction():
        await conn.execute(
            "DELETE FROM section_teachers WHERE district_id = $1 AND section_id = $2",
            district,
            section_id,
        )
        await conn.executemany(
            """INSERT INTO section_teachers (district_id, section_id, teacher_id)
               VALUES ($1, $2, $3)""",
            [(district, section_id, t) for t in sorted(set(teacher_ids))],
        )
