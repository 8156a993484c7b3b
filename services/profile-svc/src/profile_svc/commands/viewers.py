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


async def sync_teachers(
    conn: asyncpg.Connection,
    district: str,
    full: dict[str, set[str]],
    add: set[tuple[str, str]],
    remove: set[tuple[str, str]],
) -> tuple[int, int]:
    """Apply a roster's section teachers: full sets (bulk) or single changes (delta).

    Returns (assigned, removed) counting only real changes, so a repeated
    import reports zero.
    """
    current: set[tuple[str, str]] = set()
    sections = sorted({s for s in full} | {s for s, _ in add | remove})
    rows = await conn.fetch(
        """SELECT section_id, teacher_id FROM section_teachers
            WHERE district_id = $1 AND section_id = ANY($2)""",
        district,
        sections,
    )
    current = {(r["section_id"], r["teacher_id"]) for r in rows}
    wanted = {p for p in current if p[0] not in full} | {
        (s, t) for s, ts in full.items() for t in ts
    }
    wanted = (wanted | add) - remove
    gone, new = sorted(current - wanted), sorted(wanted - current)
    async with conn.transaction():
        await conn.execute(
            """DELETE FROM section_teachers AS t USING unnest($2::text[], $3::text[]) AS u(s, p)
                WHERE t.district_id = $1 AND t.section_id = u.s AND t.teacher_id = u.p""",
            district,
            [s for s, _ in gone],
            [t for _, t in gone],
        )
        await conn.execute(
            """INSERT INTO section_teachers (district_id, section_id, teacher_id)
               SELECT $1, u.s, u.p FROM unnest($2::text[], $3::text[]) AS u(s, p)
               ON CONFLICT DO NOTHING""",
            district,
            [s for s, _ in new],
            [t for _, t in new],
        )
    return len(new), len(gone)
