"""The rows "intake" writes for results and voids, one statement per table.

Results and voids are applied in log order, but their writes (``resolved``,
``parked``, ``unmapped``) are read only by a later mapping change, a void of the
same result or a release. The projection queues them here and flushes before
those, so a batch costs a handful of statements instead of a few per event; what
is written and emitted, and in which order, is what per-event code would do.
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


@dataclass(frozen=True, slots=True)
class Voiding:
    """A ``SubmissionVoided``: voids the result if recorded, else marks it where it waits."""

    assessment_id: UUID
    district: str | None
    reason: str
    time: datetime


@dataclass(slots=True)
class Writes:
    """Queued writes, flushed in one statement per table; ``out`` collects what they emit,
    in the order the per-event code emitted it.

    Writes of different results commute, and a result's own duplicates conflict and
    change nothing. A flush writes ``unmapped``, ``parked`` and ``resolved`` before it
    voids, so a void sees the writes queued before it, as it did applied one by one;
    a write queued after a void of its own result flushes that void first.
    """

    source: str
    void_of: Callable[[UUID, str, str, str, datetime], Envelope]
    out: list[Envelope] = field(default_factory=list)
    queued: list[Recorded | Voiding] = field(default_factory=list)
    parked: list[Kept] = field(default_factory=list)
    held: list[Kept] = field(default_factory=list)
    voided: set[UUID] = field(default_factory=set)

    async def record(self, conn: asyncpg.Connection, recorded: Recorded) -> None:
        await self._after_void(conn, recorded.event.assessment_id)
        self.queued.append(recorded)

    async def park(self, conn: asyncpg.Connection, kept: Kept) -> None:
        await self._after_void(conn, kept.event.assessment_id)
        self.parked.append(kept)

    async def hold(self, conn: asyncpg.Connection, kept: Kept) -> None:
        await self._after_void(conn, kept.event.assessment_id)
        self.held.append(kept)

    def void(self, voiding: Voiding) -> None:
        self.voided.add(voiding.assessment_id)
        self.queued.append(voiding)

    async def _after_void(self, conn: asyncpg.Connection, assessment_id: UUID) -> None:
        if assessment_id in self.voided:
            await self.flush(conn)

    async def flush(self, conn: asyncpg.Connection) -> None:
        if self.held:
            await _hold(conn, _first(self.held, lambda k: k.event.assessment_id))
        if self.parked:
            await _park(conn, _first(self.parked, lambda k: k.event.assessment_id))
        recorded = [q for q in self.queued if isinstance(q, Recorded)]
        voids = [q for q in self.queued if isinstance(q, Voiding)]
        new = await _resolve(conn, recorded) if recorded else set()
        found = await _void(conn, voids) if voids else {}
        seen: set[tuple[str, UUID]] = set()
        for q in self.queued:
            if isinstance(q, Voiding):
                student = found.get((q.district, q.assessment_id))
                if student is not None:
                    assert q.district is not None
                    self.out.append(
                        self.void_of(q.assessment_id, student, q.district, q.reason, q.time)
                    )
                continue
            key = (q.district, q.event.assessment_id)
            if key in new and key not in seen:
                seen.add(key)
                self.out.extend(self._recorded(q))
        self.queued, self.parked, self.held = [], [], []
        self.voided = set()

    def _recorded(self, r: Recorded) -> list[Envelope]:
        assert r.event.competency_id is not None
        recorded = from_row(AssessmentRecorded, dict(r.event), student_id=r.student)
        out = [
            Envelope.wrap(
                recorded,
                id=r.event.assessment_id,
                source=self.source,
                district_id=r.district,
                time=r.time,
            )
        ]
        if r.void is not None:
            out.append(self.void_of(r.event.assessment_id, r.student, r.district, *r.void))
        return out


async def _resolve(conn: asyncpg.Connection, recorded: list[Recorded]) -> set[tuple[str, UUID]]:
    """The (district, assessment) rows new in ``resolved``: those results are recorded."""
    wanted = _first(recorded, lambda r: (r.district, r.event.assessment_id))
    rows = await conn.fetch(
        """INSERT INTO resolved (district_id, assessment_id, student_id)
           SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[])
           ON CONFLICT DO NOTHING RETURNING district_id, assessment_id""",
        [r.district for r in wanted],
        [r.event.assessment_id for r in wanted],
        [r.student for r in wanted],
    )
    return {(row["district_id"], row["assessment_id"]) for row in rows}


async def _void(
    conn: asyncpg.Connection, voids: list[Voiding]
) -> dict[tuple[str | None, UUID], str]:
    """The student of each voided result already recorded; the others are marked where
    they wait (parked: the first void wins; unmapped: voided, its first reason kept, so
    a second void of a result changes nothing there)."""
    voids = _first(voids, lambda v: (v.district, v.assessment_id))
    rows = await conn.fetch(
        """WITH w AS (
               SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[])
                   AS w(district_id, assessment_id, reason, at)
           ), found AS (
               SELECT w.district_id, w.assessment_id, r.student_id
                 FROM w JOIN resolved r USING (district_id, assessment_id)
           ), waiting AS (
               SELECT * FROM w WHERE NOT EXISTS (
                   SELECT FROM found f
                    WHERE f.district_id = w.district_id AND f.assessment_id = w.assessment_id)
           ), p AS (
               UPDATE parked SET void_reason = x.reason, voided_at = x.at FROM waiting x
                WHERE parked.assessment_id = x.assessment_id
                  AND parked.district_id = x.district_id AND parked.void_reason IS NULL
           ), u AS (
               UPDATE unmapped SET voided = true,
                      void_reason = coalesce(unmapped.void_reason, x.reason),
                      voided_at = coalesce(unmapped.voided_at, x.at)
                 FROM waiting x
                WHERE unmapped.assessment_id = x.assessment_id
                  AND unmapped.district_id = x.district_id
           )
           SELECT district_id, assessment_id, student_id FROM found""",
        [v.district for v in voids],
        [v.assessment_id for v in voids],
        [v.reason for v in voids],
        [v.time for v in voids],
    )
    return {(r["district_id"], r["assessment_id"]): r["student_id"] for r in rows}


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
