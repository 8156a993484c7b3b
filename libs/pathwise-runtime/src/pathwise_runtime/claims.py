"""Claim event ids for a projection: only an event's first delivery is applied.

An outbox relay that crashed between publish and mark publishes the same event
(same deterministic id) again at a new offset, above the watermark, so the
watermark alone cannot recognise it; ``pathwise_applied_events`` does.

A claim is one statement that answers with the ids already there (normally
none) and plainly inserts the others, instead of ``INSERT ... ON CONFLICT DO
NOTHING RETURNING``: speculative insertion and echoing every id back cost a
quarter more. The unique key still guards against a concurrent claim of the
same id (only possible from two partitions: the watermark lock serialises one
partition's consumers): the insert then fails on it, the batch rolls back and
is retried, and the retry finds the id claimed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TypeVar
from uuid import UUID

import asyncpg

from pathwise_runtime.projection import Delivered

R = TypeVar("R")
D = TypeVar("D")

CHUNK = 1000
"""Records decoded while the previous chunk's claim runs in Postgres."""

_CLAIM = """
WITH known AS (
    SELECT event_id FROM pathwise_applied_events
     WHERE projection = $1 AND event_id = ANY($2::uuid[])
), claimed AS (
    INSERT INTO pathwise_applied_events (projection, event_id)
    SELECT DISTINCT $1, id FROM unnest($2::uuid[]) AS id
     WHERE id NOT IN (SELECT event_id FROM known)
)
SELECT event_id FROM known"""


def first_deliveries(delivered: Sequence[Delivered], refused: set[UUID]) -> list[Delivered]:
    """Delivered events minus those applied before and minus repeats inside the batch."""
    seen: set[UUID] = set()
    first: list[Delivered] = []
    for d in delivered:
        event_id = d.envelope.id
        if event_id in refused or event_id in seen:
            continue
        seen.add(event_id)
        first.append(d)
    return first


async def claim(
    conn: asyncpg.Connection, projection: str, delivered: Sequence[Delivered]
) -> list[Delivered]:
    """Record these events as applied (in the caller's transaction); the first deliveries.

    One round trip, so it runs whole while the caller decodes the next chunk.
    """
    if not delivered:
        return []
    rows = await conn.fetch(_CLAIM, projection, [d.envelope.id for d in delivered])
    return first_deliveries(delivered, {r["event_id"] for r in rows})


async def decode_and_claim(
    conn: asyncpg.Connection,
    projection: str,
    records: Sequence[R],
    decode: Callable[[Sequence[R]], tuple[list[Delivered], list[D]]],
) -> tuple[list[Delivered], list[D]]:
    """Decode in chunks, each chunk's claim running while the next one is decoded.

    Decoding is CPU in this process, the claim is work in Postgres: overlapped,
    a batch takes the longer of the two instead of their sum. Claims still run
    one at a time, in delivery order, so a repeat inside the batch keeps its
    first delivery.
    """
    first: list[Delivered] = []
    rejected: list[D] = []
    pending: asyncio.Task[list[Delivered]] | None = None
    try:
        for start in range(0, len(records), CHUNK):
            delivered, bad = decode(records[start : start + CHUNK])
            rejected.extend(bad)
            if pending is not None:
                first.extend(await pending)
            pending = asyncio.ensure_future(claim(conn, projection, delivered))
            await asyncio.sleep(0)  # let the claim go out before decoding the next chunk
        if pending is not None:
            first.extend(await pending)
            pending = None
    finally:
        if pending is not None:  # decoding failed: let the query end before the rollback
            await asyncio.wait([pending])
    return first, rejected
