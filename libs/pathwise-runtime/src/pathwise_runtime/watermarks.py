"""Per-partition watermarks: the position of a projection in the log.

The watermark is written in the same transaction as the projection rows, so
after a crash the database itself says which records were applied. Anything at
or below it is a redelivery and is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import asyncpg


class Positioned(Protocol):
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Watermark:
    last_offset: int
    incarnation: str | None


Watermarks = dict[tuple[str, int], Watermark]
R = TypeVar("R", bound=Positioned)


def unapplied(records: Iterable[R], marks: Watermarks) -> list[R]:
    """Records strictly above their partition's watermark, in delivery order."""
    fresh: list[R] = []
    for record in records:
        mark = marks.get((record.topic, record.partition))
        if mark is None or record.offset > mark.last_offset:
            fresh.append(record)
    return fresh


def advance(marks: Watermarks, records: Iterable[Positioned]) -> dict[tuple[str, int], int]:
    """The new highest offset per partition after applying ``records``."""
    high: dict[tuple[str, int], int] = {}
    for record in records:
        key = (record.topic, record.partition)
        current = high.get(key, marks[key].last_offset if key in marks else -1)
        if record.offset > current:
            high[key] = record.offset
    return high


async def load(
    conn: asyncpg.Connection, projection: str, partitions: Sequence[tuple[str, int]]
) -> Watermarks:
    """Read and row-lock the watermarks of these partitions for this transaction.

    The lock makes a second consumer that was handed the same partition during a
    rebalance wait here, then see the first one's watermark and skip its work.
    """
    if not partitions:
        return {}
    rows = await conn.fetch(
        """SELECT w.topic, w.partition, w.last_offset, w.incarnation
             FROM pathwise_watermarks w
             JOIN unnest($2::text[], $3::int[]) AS p(topic, partition)
               ON w.topic = p.topic AND w.partition = p.partition
            WHERE w.projection = $1
            ORDER BY w.topic, w.partition
              FOR UPDATE OF w""",
        projection,
        [t for t, _ in partitions],
        [p for _, p in partitions],
    )
    return {
        (r["topic"], r["partition"]): Watermark(r["last_offset"], r["incarnation"]) for r in rows
    }


async def store(
    conn: asyncpg.Connection,
    projection: str,
    high: dict[tuple[str, int], int],
    incarnations: dict[tuple[str, int], str] | None = None,
) -> None:
    """Upsert the new positions; never move a watermark backwards."""
    if not high:
        return
    keys = sorted(high)
    incarnations = incarnations or {}
    await conn.execute(
        """INSERT INTO pathwise_watermarks AS w
                  (projection, topic, partition, last_offset, incarnation)
           SELECT $1, t, p, o, i FROM unnest($2::text[], $3::int[], $4::bigint[], $5::text[])
                  AS x(t, p, o, i)
           ON CONFLICT (projection, topic, partition) DO UPDATE
              SET last_offset = excluded.last_offset,
                  incarnation = coalesce(excluded.incarnation, w.incarnation),
                  updated_at = now()
            WHERE w.last_offset < excluded.last_offset""",
        projection,
        [k[0] for k in keys],
        [k[1] for k in keys],
        [high[k] for k in keys],
        [incarnations.get(k) for k in keys],
    )


async def reset(conn: asyncpg.Connection, projection: str) -> None:
    """Forget where a projection is, for a rebuild from the start of the log."""
    await conn.execute("DELETE FROM pathwise_watermarks WHERE projection = $1", projection)
    await conn.execute("DELETE FROM pathwise_applied_events WHERE projection = $1", projection)
