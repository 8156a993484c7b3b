"""The ``competency_map`` rows of ``CompetencyMappingsChanged``, and the results they release.

The HTTP command writes the same rows in the transaction that queues the event
(so a result admitted right after sees its mapping); the projection "intake"
writes them again from the log, which is what a replay rebuilds. Either writer
changes a row only for a later (changed_at, change_id), so the newest mapping
stays whoever writes last.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from pathwise_contracts import CompetencyMapping, ResultSubmitted


async def upsert(
    conn: asyncpg.Connection,
    district: str,
    mappings: list[CompetencyMapping],
    changed_at: datetime,
    change_id: UUID,
) -> None:
    """A row never logged (change_id NULL) yields to any logged change."""
    await conn.execute(
        """INSERT INTO competency_map (district_id, kind, ref, competency_id, max_score,
                                       changed_at, change_id)
           SELECT $1, k, r, c, m, $6, $7
             FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[]) AS t(k, r, c, m)
           ON CONFLICT (district_id, kind, ref) DO UPDATE
             SET competency_id = excluded.competency_id, max_score = excluded.max_score,
                 changed_at = excluded.changed_at, change_id = excluded.change_id
           WHERE competency_map.change_id IS NULL
              OR (competency_map.changed_at, competency_map.change_id)
                 < (excluded.changed_at, excluded.change_id)""",
        district,
        [m.kind for m in mappings],
        [m.ref for m in mappings],
        [m.competency_id for m in mappings],
        [m.max_score for m in mappings],
        changed_at,
        change_id,
    )


async def mappings_of(
    conn: asyncpg.Connection, wanted: set[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, float | None] | None]:
    """Each (district, result's activity)'s current mapping, None where there is none."""
    keys = sorted(wanted)
    parts = [activity.partition(":") for _, activity in keys]
    rows = await conn.fetch(
        """SELECT w.n, m.competency_id, m.max_score
             FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY
                  AS w(district_id, kind, ref, n)
             JOIN competency_map m USING (district_id, kind, ref)""",
        [district for district, _ in keys],
        [kind for kind, _, _ in parts],
        [ref for _, _, ref in parts],
    )
    found: dict[tuple[str, str], tuple[str, float | None] | None] = dict.fromkeys(keys)
    for r in rows:
        found[keys[r["n"] - 1]] = (r["competency_id"], r["max_score"])
    return found


@dataclass(frozen=True, slots=True)
class Held:
    """An unmapped result a mapping now covers, and that mapping."""

    result: ResultSubmitted
    submitted_at: datetime
    void: tuple[str, datetime] | None  # (reason, when) if withdrawn meanwhile
    competency_id: str
    max_score: float | None


async def held(
    conn: asyncpg.Connection, district: str, mappings: list[CompetencyMapping]
) -> list[Held]:
    """The district's unmapped results those mappings now cover, oldest first."""
    rows = await conn.fetch(
        """SELECT u.result, u.submitted_at, u.void_reason, u.voided_at, m.competency_id,
                  m.max_score
             FROM unnest($2::text[], $3::text[]) AS w(kind, ref)
             JOIN competency_map m ON m.district_id = $1 AND (m.kind, m.ref) = (w.kind, w.ref)
             JOIN unmapped u ON u.district_id = $1 AND u.activity = w.kind || ':' || w.ref
            WHERE u.result IS NOT NULL AND (u.void_reason IS NOT NULL OR NOT u.voided)
            ORDER BY u.submitted_at, u.assessment_id""",
        district,
        [m.kind for m in mappings],
        [m.ref for m in mappings],
    )
    return [
        Held(
            ResultSubmitted.model_validate(json.loads(r["result"])),
            r["submitted_at"],
            (r["void_reason"], r["voided_at"]) if r["void_reason"] else None,
            r["competency_id"],
            r["max_score"],
        )
        for r in rows
    ]


async def unhold(conn: asyncpg.Connection, district: str, assessment_ids: list[UUID]) -> None:
    """Released results leave ``unmapped`` (the projection writes it in ``intake_writes``)."""
    if not assessment_ids:
        return
    await conn.execute(
        "DELETE FROM unmapped WHERE district_id = $1 AND assessment_id = ANY($2::uuid[])",
        district,
        assessment_ids,
    )
