"""The ``mastery`` projection: each student's current mastery, from path.events.v1.

This is how the profile is "updated much more often than report cards": the
estimate per competency as path-svc last published it, and whether the
competency was ever mastered. An erased student's rows go, and stay gone even
when their path events are read after the erasure (the two topics are
consumed independently, in any interleaving).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel

from pathwise_contracts import (
    PATH_EVENTS,
    PROFILE_EVENTS,
    CompetencyMastered,
    Envelope,
    MasteryUpdated,
    SubjectErased,
)
from pathwise_runtime.projection import Delivered


def erased_digest(student_id: str) -> str:
    return hashlib.sha256(f"pathwise-erased|{student_id}".encode()).hexdigest()


Student = tuple[str, str]
"""(district, student id): rows and tombstones are keyed by both, so one district's
events and erasures never reach another's student of the same id."""

_AMONG = "(district_id, {0}) IN (SELECT * FROM unnest($1::text[], $2::text[]))"


class MasteryProjection:
    name: str = "mastery"
    topics: tuple[str, ...] = (PATH_EVENTS.name, PROFILE_EVENTS.name)
    tables: tuple[str, ...] = ("mastery", "erased_students")

    async def apply(
        self, conn: asyncpg.Connection, batch: Sequence[Delivered]
    ) -> Sequence[Envelope]:
        rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        erased: set[Student] = set()
        for item in batch:
            event, time, district = item.event, item.envelope.time, item.envelope.districtid
            if isinstance(event, SubjectErased) and event.kind == "student":
                erased.add((district, event.student_id))
            elif isinstance(event, MasteryUpdated | CompetencyMastered):
                key = (district, event.student_id, event.competency_id)
                row = rows.setdefault(key, {"level": None, "mastered": False})
                row["p"], row["at"] = event.p_mastery, time
                if isinstance(event, MasteryUpdated):
                    row["level"] = event.level
                else:
                    row["mastered"] = True
        if erased:
            gone = sorted(erased)
            await conn.execute(
                """INSERT INTO erased_students (district_id, digest)
                   SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING""",
                [d for d, _ in gone],
                [erased_digest(s) for _, s in gone],
            )
            await conn.execute(
                "DELETE FROM mastery WHERE " + _AMONG.format("student_id"),
                [d for d, _ in gone],
                [s for _, s in gone],
            )
        if not rows:
            return ()
        students = sorted({(d, s) for d, s, _ in rows})
        found = await conn.fetch(
            "SELECT district_id, digest FROM erased_students WHERE " + _AMONG.format("digest"),
            [d for d, _ in students],
            [erased_digest(s) for _, s in students],
        )
        skip = {(r["district_id"], r["digest"]) for r in found}
        keep = {k: v for k, v in rows.items() if (k[0], erased_digest(k[1])) not in skip}
        await _upsert(conn, keep)
        return ()


async def _upsert(
    conn: asyncpg.Connection, rows: dict[tuple[str, str, str], dict[str, Any]]
) -> None:
    if not rows:
        return
    values = list(rows.values())
    await conn.execute(
        """INSERT INTO mastery AS m (district_id, student_id, competency_id, p_mastery, level,
                                     mastered, updated_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::text[],
                                $6::bool[], $7::timestamptz[])
           ON CONFLICT (district_id, student_id, competency_id) DO UPDATE SET
               p_mastery = excluded.p_mastery, level = coalesce(excluded.level, m.level),
               mastered = m.mastered OR excluded.mastered, updated_at = excluded.updated_at""",
        [d for d, _, _ in rows],
        [s for _, s, _ in rows],
        [c for _, _, c in rows],
        [v["p"] for v in values],
        [v["level"] for v in values],
        [v["mastered"] for v in values],
        [v["at"] for v in values],
    )


class MasteryView(BaseModel):
    competency_id: str
    p_mastery: float
    level: str | None
    mastered: bool
    updated_at: datetime


class MasterySummary(BaseModel):
    """Where the student stands now: counts, then every competency with an estimate."""

    competencies: int = 0
    mastered: int = 0
    updated_at: datetime | None = None
    items: list[MasteryView] = []


async def summary(conn: asyncpg.Connection, district: str, student_id: str) -> MasterySummary:
    rows = await conn.fetch(
        """SELECT competency_id, p_mastery, level, mastered, updated_at FROM mastery
            WHERE district_id = $1 AND student_id = $2 ORDER BY competency_id""",
        district,
        student_id,
    )
    items = [MasteryView(**dict(r)) for r in rows]
    return MasterySummary(
        competencies=len(items),
        mastered=sum(i.mastered for i in items),
        updated_at=max((i.updated_at for i in items), default=None),
        items=items,
    )
