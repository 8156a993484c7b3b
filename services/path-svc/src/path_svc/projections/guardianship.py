"""The ``guardianship`` projection: which guardians may read a student's data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from pathwise_contracts import PROFILE_EVENTS, Envelope, GuardianLinked, SubjectErased
from pathwise_runtime.projection import Delivered


class GuardianshipProjection:
    """Guardian links from ``profile.events.v1``, to authorise guardians' reads.

    An erased student loses every link; an erased guardian loses theirs. Both
    arrive on the student's partition, after the links they remove.
    """

    name: str = "guardianship"
    topics: tuple[str, ...] = (PROFILE_EVENTS.name,)
    tables: tuple[str, ...] = ("guardians",)

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Delivered]) -> list[Envelope]:
        links: dict[tuple[str, str], tuple[str, str, str, bool, datetime]] = {}
        for d in batch:  # a later link in the batch replaces an earlier one
            if isinstance(d.event, GuardianLinked):
                e = d.event
                links[(e.student_id, e.guardian_id)] = (
                    e.student_id,
                    e.guardian_id,
                    d.envelope.districtid,
                    e.educational_rights,
                    d.envelope.time,
                )
            elif isinstance(d.event, SubjectErased):
                await self._store(conn, links)
                links = {}
                erased = d.event
                if erased.kind == "student":
                    await conn.execute(
                        "DELETE FROM guardians WHERE student_id = $1", erased.student_id
                    )
                else:
                    await conn.execute(
                        "DELETE FROM guardians WHERE student_id = $1 AND guardian_id = $2",
                        erased.student_id,
                        erased.subject_id,
                    )
        await self._store(conn, links)
        return []

    @staticmethod
    async def _store(
        conn: asyncpg.Connection, links: dict[tuple[str, str], tuple[str, str, str, bool, datetime]]
    ) -> None:
        if links:
            await conn.execute(
                """INSERT INTO guardians AS g
                          (student_id, guardian_id, district_id, educational_rights, linked_at)
                   SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[],
                                        $5::timestamptz[])
                   ON CONFLICT (student_id, guardian_id) DO UPDATE
                      SET district_id = excluded.district_id,
                          educational_rights = excluded.educational_rights,
                          linked_at = excluded.linked_at""",
                *map(list, zip(*links.values(), strict=True)),
            )
