"""The record of disclosures FERPA asks for: who read or exported which student's record.

Written when a profile is answered, exported by district admins. It names
people by id only; erasing a student also drops their entries.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
from pydantic import BaseModel

from profile_svc.domain.access import Viewer


class Disclosure(BaseModel):
    at: datetime
    actor: str
    role: str
    student_id: str
    action: str


async def record(conn: asyncpg.Connection, viewer: Viewer, student_id: str, action: str) -> None:
    await conn.execute(
        """INSERT INTO access_log (district_id, actor, role, student_id, action)
           VALUES ($1, $2, $3, $4, $5)""",
        viewer.district,
        viewer.subject,
        viewer.role,
        student_id,
        action,
    )


async def export(
    conn: asyncpg.Connection,
    district: str,
    *,
    student_id: str | None,
    since: datetime | None,
    limit: int,
) -> list[Disclosure]:
    rows = await conn.fetch(
        """SELECT at, actor, role, student_id, action FROM access_log
            WHERE district_id = $1 AND ($2::text IS NULL OR student_id = $2)
              AND ($3::timestamptz IS NULL OR at >= $3)
            ORDER BY seq LIMIT $4""",
        district,
        student_id,
        since,
        limit,
    )
    return [Disclosure(**dict(r)) for r in rows]


async def forget(conn: asyncpg.Connection, district: str, student_id: str) -> None:
    """Drop the district's entries about an erased student (another district's namesake keeps
    theirs)."""
    await conn.execute(
        "DELETE FROM access_log WHERE district_id = $1 AND student_id = $2", district, student_id
    )


async def record_many(
    conn: asyncpg.Connection, viewer: Viewer, student_ids: list[str], action: str
) -> None:
    """One entry per student shown, e.g. in a search result."""
    if not student_ids:
        return
    await conn.execute(
        """INSERT INTO access_log (district_id, actor, role, student_id, action)
           SELECT $1, $2, $3, unnest($4::text[]), $5""",
        viewer.district,
        viewer.subject,
        viewer.role,
        student_ids,
        action,
    )
