"""A class section's current candidates for small groups, read from the planners."""

from __future__ import annotations

import asyncpg
from pydantic import TypeAdapter

from path_svc.domain.grouping import Member, suggest
from pathwise_contracts import PathStep, SuggestedGroup

_CODES = TypeAdapter(list[str])
_ESTIMATES = TypeAdapter(dict[str, list[float]])


async def members(
    conn: asyncpg.Connection, district: str, section: str, teacher: str | None = None
) -> list[Member]:
    """The section's planned students; with ``teacher``, only those the teacher teaches."""
    rows = await conn.fetch(
        """SELECT p.student_id, (p.state->'steps'->0)::text AS step,
                  (p.state->'profile'->'requirements')::text AS requirements,
                  (p.state->'estimates')::text AS estimates
             FROM planners p
            WHERE p.district_id = $1 AND p.state->'profile'->'sections' ? $2
              AND ($3::text IS NULL OR EXISTS (
                   SELECT 1 FROM student_access a
                    WHERE a.district_id = p.district_id AND a.student_id = p.student_id
                      AND $3 = ANY(a.teacher_ids)))""",
        district,
        section,
        teacher,
    )
    out = []
    for r in rows:
        step = PathStep.model_validate_json(r["step"]) if r["step"] else None
        estimates = _ESTIMATES.validate_json(r["estimates"] or "{}")
        p = estimates.get(step.competency_id, [0.0])[0] if step is not None else 0.0
        requirements = _CODES.validate_json(r["requirements"] or "[]")
        out.append(Member(r["student_id"], step, requirements, p))
    return out


async def groups(
    conn: asyncpg.Connection, district: str, section: str, teacher: str | None = None
) -> list[SuggestedGroup]:
    return suggest(await members(conn, district, section, teacher))


async def all_sections(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    """Every (district, section) some planned student belongs to."""
    rows = await conn.fetch(
        """SELECT DISTINCT district_id, jsonb_array_elements_text(state->'profile'->'sections')
                  AS section
             FROM planners
            WHERE jsonb_typeof(state->'profile'->'sections') = 'array'
            ORDER BY 1, 2"""
    )
    return [(r["district_id"], r["section"]) for r in rows]
