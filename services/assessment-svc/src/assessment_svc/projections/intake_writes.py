"""The rows "intake" writes for a run of results, one statement per table.

Results are applied in log order, but a result's writes (``resolved``, ``parked``,
``unmapped``) are read only by a later mapping change, void or release. The
projection queues them here and flushes before any of those, so each run of
results costs three statements instead of a few round trips each; what is
written and emitted, and in which order, is what the per-result code did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar
from uuid import UUID

import asyncpg

from pathwise_contracts import AssessmentRecorded, Envelope, ResultSubmitted
from pathwise_runtime.rows import from_row

T = TypeVar("T")
K = TypeVar("K")
Void = tuple[str, datetime]
"""(reason, when) of a result withdrawn before it was recorded."""


@dataclass(frozen=True, slots=True)
class Recorded:
    event: ResultSubmitted
    student: str
    district: str
    time: datetime
    void: Void | None


@dataclass(frozen=True, slots=True)
class Kept:
    """A result parked (no student yet) or held (no mapping yet)."""

    event: ResultSubmitted
    district: str
    time: datetime
    void: Void | None = None


@dataclass(slots=True)
class Writes:
    """Queued writes; ``flush`` returns the events of the results recorded for the first time."""

    source: str
    void_of: Callable[[UUID, str, str, str, datetime], Envelope]
    recorded: list[Recorded] = field(default_factory=list)
    parked: list[Kept] = field(default_factory=list)
    held: list[Kept] = field(default_factory=list)

    async def flush(self, conn: asyncpg.Connection) -> list[Envelope]:
        out: list[Envelope] = []
        if self.held:
            await _hold(conn, _first(self.held, lambda k: k.event.assessment_id))
        if self.parked:
            await _park(conn, _first(self.parked, lambda k: k.event.assessment_id))
        if self.recorded:
            out = await self._record(conn)
        self.recorded, self.parked, self.held = [], [], []
        return out

    async def _record(self, conn: asyncpg.Connection) -> list[Envelope]:
        wanted = _first(self.recorded, lambda r: (r.district, r.event.assessment_id))
        rows = await conn.fetch(
            """INSERT INTO resolved (district_id, assessment_id, student_id)
               SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[])
               ON CONFLICT DO NOTHING RETURNING district_id, assessment_id""",
            [r.district for r in wanted],
            [r.event.assessment_id for r in wanted],
            [r.student for r in wanted],
        )
        new = {(row["district_id"], row["assessment_id"]) for row in rows}
        out: list[Envelope] = []
        for r in wanted:
            if (r.district, r.event.assessment_id) not in new:
                continue
            assert r.event.competency_id is not None
            recorded = from_row(AssessmentRecorded, dict(r.event), student_id=r.student)
            out.append(
                Envelope.wrap(
                    recorded,
                    id=r.event.assessment_id,
                    source=self.source,
                    district_id=r.district,
                    time=r.time,
                )
            )
            if r.void is not None:
                out.append(self.void_of(r.event.assessment_id, r.student, r.district, *r.void))
        return out


def _first(items: list[T], key: Callable[[T], K]) -> list[T]:
    """The first of each key, in order: a later duplicate would conflict and change nothing."""
    seen: set[K] = set()
    out: list[T] = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


async def _park(conn: asyncpg.Connection, kept: list[Kept]) -> None:
    await conn.execute(
        """INSERT INTO parked (assessment_id, district_id, identity, result, submitted_at,
                               void_reason, voided_at)
           SELECT a, d, i, r::jsonb, s, vr, va
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],
                         $6::text[], $7::timestamptz[]) AS t(a, d, i, r, s, vr, va)
           ON CONFLICT DO NOTHING""",
        [k.event.assessment_id for k in kept],
        [k.district for k in kept],
        [k.event.identity for k in kept],
        [k.event.model_dump_json() for k in kept],
        [k.time for k in kept],
        [None if k.void is None else k.void[0] for k in kept],
        [None if k.void is None else k.void[1] for k in kept],
    )


async def _hold(conn: asyncpg.Connection, kept: list[Kept]) -> None:
    await conn.execute(
        """INSERT INTO unmapped (assessment_id, district_id, source, source_id, activity,
                                 occurred_at, submitted_at, identity, result)
           SELECT a, d, so, si, ac, o, s, i, r::jsonb
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::timestamptz[], $7::timestamptz[], $8::text[], $9::text[])
                  AS t(a, d, so, si, ac, o, s, i, r)
           ON CONFLICT DO NOTHING""",
        [k.event.assessment_id for k in kept],
        [k.district for k in kept],
        [k.event.source for k in kept],
        [k.event.source_id for k in kept],
        [k.event.activity for k in kept],
        [k.event.occurred_at for k in kept],
        [k.time for k in kept],
        [k.event.identity for k in kept],
        [k.event.model_dump_json() for k in kept],
    )
