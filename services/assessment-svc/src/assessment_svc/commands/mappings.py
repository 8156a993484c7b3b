"""Command side of competency mappings: the table and the log change together.

A change writes ``competency_map`` and queues ``CompetencyMappingsChanged`` in one
transaction, so a result admitted right after it is mapped, and a replay rebuilds
the same rows from the log. A retry with the same Idempotency-Key answers the
first answer and changes nothing; without a key every request is a change of its
own (re-applying the same mappings later is harmless).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import asyncpg

from assessment_svc.domain import mapping
from assessment_svc.projections.mappings import upsert
from pathwise_contracts import CompetencyMapping, Envelope
from pathwise_runtime import outbox

_BACKFILL_LOCK = 0x6D617073  # "maps": one replica queues the never-logged rows


class KeyReused(Exception):
    """An Idempotency-Key already used with another body (HTTP 422)."""


async def _queue(
    conn: asyncpg.Connection,
    district: str,
    mappings: list[CompetencyMapping],
    changed_at: datetime,
    cause: str,
    source: str,
) -> None:
    envelopes = []
    now = datetime.now(UTC)  # when it was logged; changed_at orders the rows
    for event_id, event in mapping.changes(district, mappings, changed_at, cause):
        await upsert(conn, district, event.mappings, changed_at, event_id)
        envelopes.append(
            Envelope.wrap(event, id=event_id, source=source, district_id=district, time=now)
        )
    await outbox.add_events(conn, envelopes)


async def change(
    pool: asyncpg.Pool,
    district: str,
    mappings: list[CompetencyMapping],
    *,
    source: str,
    idempotency_key: str | None = None,
) -> int:
    """Store and log mappings; returns how many the request gave."""
    if not mappings:
        return 0
    changed_at = datetime.now(UTC)
    cause = mapping.cause_of(mappings, changed_at)
    async with pool.acquire() as conn, conn.transaction():
        if idempotency_key is not None:
            key = f"competency-mappings:{idempotency_key}"
            body = mapping.digest(list(mappings))
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", key)
            known = await conn.fetchval(
                "SELECT fingerprint FROM idempotency_keys WHERE district_id = $1 AND key = $2",
                district,
                key,
            )
            if known is not None:
                if known != body:
                    raise KeyReused
                return len(mappings)
            await conn.execute(
                """INSERT INTO idempotency_keys (district_id, key, fingerprint, response)
                   VALUES ($1, $2, $3, '{}'::jsonb)""",
                district,
                key,
                body,
            )
            cause = "key:" + hashlib.sha256(idempotency_key.encode()).hexdigest()
        await _queue(conn, district, mappings, changed_at, cause, source)
    return len(mappings)


async def backfill(pool: asyncpg.Pool, *, source: str) -> int:
    """Queue once the mappings stored before they were logged; returns how many.

    They count as older than any logged change (``EPOCH``), so a change made
    meanwhile wins. Idempotent: a queued row has its change_id and is not
    queued again."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _BACKFILL_LOCK)
        rows = await conn.fetch(
            """SELECT district_id, kind, ref, competency_id, max_score FROM competency_map
                WHERE change_id IS NULL ORDER BY district_id, kind, ref FOR UPDATE"""
        )
        by_district: dict[str, list[CompetencyMapping]] = {}
        for r in rows:
            by_district.setdefault(r["district_id"], []).append(
                CompetencyMapping(
                    kind=r["kind"],
                    ref=r["ref"],
                    competency_id=r["competency_id"],
                    max_score=r["max_score"],
                )
            )
        for district, mappings in by_district.items():
            cause = "backfill:" + mapping.digest(mappings)
            await _queue(conn, district, mappings, mapping.EPOCH, cause, source)
    return len(rows)
