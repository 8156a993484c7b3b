"""Command side for results in a standard's format: evidence into the outbox.

Each result is admitted once, by its (district, source, source_id): the ``ingested`` row
and the outbox rows share one transaction with whatever the caller stores beside them
(``statement_store`` for xAPI), so a request is taken whole or not at all, and a retry
finds what the first try did.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import asyncpg

from assessment_svc.commands.ingestion import Outcome
from assessment_svc.domain.evidence import Evidence, Invalid, submitted_event_id
from pathwise_contracts import Envelope
from pathwise_runtime import outbox

DEFAULT_MAX_SCORE = 100.0  # a standard without a maximum reports percent unless mapped


@dataclass(frozen=True, slots=True)
class Admitted:
    """What became of one result."""

    assessment_id: uuid.UUID
    outcome: Outcome
    competency_id: str | None


class Conflict(Exception):
    """An id already admitted with other content (HTTP 409)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} was already received with different content")


async def _mappings(
    conn: asyncpg.Connection, district: str, items: Sequence[Evidence]
) -> dict[tuple[str, str], tuple[str, float | None]]:
    """The district's competency mapping of every item's activity, in one query."""
    wanted = sorted({(i.mapping_kind, i.mapping_ref) for i in items})
    rows = await conn.fetch(
        """SELECT kind, ref, competency_id, max_score FROM competency_map
            WHERE district_id = $1
              AND (kind, ref) IN (SELECT * FROM unnest($2::text[], $3::text[]))""",
        district,
        [k for k, _ in wanted],
        [r for _, r in wanted],
    )
    return {(r["kind"], r["ref"]): (r["competency_id"], r["max_score"]) for r in rows}


async def _own_ids(
    conn: asyncpg.Connection, district: str, items: Sequence[Evidence]
) -> list[uuid.UUID]:
    """Each item's id (``ingestion.own_id`` for a whole batch, in one query)."""
    legacy = [i.legacy_id for i in items]
    kept = {
        r["assessment_id"]
        for r in await conn.fetch(
            """SELECT assessment_id FROM ingested
                WHERE district_id = $1 AND assessment_id = ANY($2::uuid[])""",
            district,
            legacy,
        )
    }
    return [
        old if old in kept else i.assessment_id(district)
        for i, old in zip(items, legacy, strict=True)
    ]


async def admit(
    conn: asyncpg.Connection, items: Sequence[Evidence], *, district: str, source: str
) -> list[Admitted]:
    """Admit evidence inside the caller's transaction; raises Conflict on changed content.

    A few queries per batch, not per item: the hot path of every standard's ingest."""
    if not items:
        return []
    mappings = await _mappings(conn, district, items)
    checked: list[tuple[Evidence, str | None]] = []
    assumed: set[int] = set()  # items read as percent for want of a maximum
    for item in items:
        mapped, mapped_max = mappings.get((item.mapping_kind, item.mapping_ref), (None, None))
        if item.max_score <= 0:
            if not mapped_max:
                assumed.add(len(checked))
            item = replace(item, max_score=mapped_max or DEFAULT_MAX_SCORE)
        if item.score > item.max_score:
            raise Invalid(
                "score",
                f"{item.score:g} exceeds the points possible for {item.activity!r} "
                f"({item.max_score:g}; set max_score in the competency mapping)",
            )
        checked.append((item, item.competency_id or mapped))
    ids = await _own_ids(conn, district, [i for i, _ in checked])
    fingerprints = [i.fingerprint(district) for i, _ in checked]
    inserted = {
        r["assessment_id"]
        for r in await conn.fetch(
            """INSERT INTO ingested (assessment_id, student_id, district_id, fingerprint)
               SELECT a, s, $3, f FROM unnest($1::uuid[], $2::text[], $4::text[]) AS t(a, s, f)
               ON CONFLICT (assessment_id) DO NOTHING RETURNING assessment_id""",
            ids,
            [f"ext:{i.identity}" for i, _ in checked],
            district,
            fingerprints,
        )
    }
    known: dict[uuid.UUID, str] = {}
    if len(inserted) < len(ids):
        rows = await conn.fetch(
            "SELECT assessment_id, fingerprint FROM ingested WHERE assessment_id = ANY($1::uuid[])",
            [a for a in ids if a not in inserted],
        )
        known = {r["assessment_id"]: r["fingerprint"] for r in rows}
    out: list[Admitted] = []
    envelopes: list[Envelope] = []
    now = datetime.now(UTC)
    for n, ((item, competency), assessment_id, fingerprint) in enumerate(
        zip(checked, ids, fingerprints, strict=True)
    ):
        if assessment_id not in inserted:
            if known.get(assessment_id) != fingerprint:
                raise Conflict(f"{item.source} result {item.source_id!r}")
            out.append(Admitted(assessment_id, Outcome.DUPLICATE, competency))
            continue
        inserted.discard(assessment_id)  # a second mention in this batch is a duplicate
        known[assessment_id] = fingerprint
        envelopes.append(
            Envelope.wrap(
                item.event(assessment_id, competency, n in assumed),
                id=submitted_event_id(assessment_id),
                source=source,
                district_id=district,
                time=now,
            )
        )
        out.append(Admitted(assessment_id, Outcome.RECORDED, competency))
    await outbox.add_events(conn, envelopes)
    return out


async def admit_all(
    pool: asyncpg.Pool, items: Sequence[Evidence], *, district: str, source: str
) -> list[Admitted]:
    async with pool.acquire() as conn, conn.transaction():
        return await admit(conn, items, district=district, source=source)
