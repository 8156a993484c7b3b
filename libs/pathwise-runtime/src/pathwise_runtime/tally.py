"""A minimal projection: every event leaves one effect row and bumps a counter.

It is the runtime's own test subject and the benchmark's "trivial handler".
The counter increment is deliberately not idempotent, so any double
application shows up as a wrong total, and any loss as a missing row.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from pathwise_contracts import Envelope
from pathwise_runtime.projection import Delivered

SCHEMA = """
CREATE TABLE IF NOT EXISTS tally_effects (
    event_id   uuid   NOT NULL,
    student_id text   NOT NULL,
    topic      text   NOT NULL,
    partition  int    NOT NULL,
    "offset"   bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS tally_totals (
    student_id text PRIMARY KEY,
    events     bigint NOT NULL
);
"""


class Tally:
    tables = ("tally_effects", "tally_totals")

    def __init__(self, name: str, topics: Sequence[str], *, poison_student: str | None = None):
        self.name = name
        self.topics = tuple(topics)
        self._poison = poison_student

    async def apply(
        self, conn: asyncpg.Connection, batch: Sequence[Delivered]
    ) -> Sequence[Envelope]:
        if self._poison and any(d.envelope.subject == self._poison for d in batch):
            raise ValueError(f"student {self._poison} is refused by this projection")
        await conn.copy_records_to_table(
            "tally_effects",
            records=[
                (d.envelope.id, d.envelope.subject, d.topic, d.partition, d.offset) for d in batch
            ],
            columns=["event_id", "student_id", "topic", "partition", "offset"],
        )
        counts: dict[str, int] = {}
        for d in batch:
            counts[d.envelope.subject] = counts.get(d.envelope.subject, 0) + 1
        await conn.execute(
            """INSERT INTO tally_totals AS t (student_id, events)
               SELECT * FROM unnest($1::text[], $2::bigint[])
               ON CONFLICT (student_id) DO UPDATE SET events = t.events + excluded.events""",
            list(counts),
            list(counts.values()),
        )
        return ()
