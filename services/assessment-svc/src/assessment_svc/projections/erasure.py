"""Erasure across assessment-svc: a student's results, statements and identities go.

``SubjectErased`` arrives on the profile topic; results and statements about
the student arrive on the assessment topics in an order a replay cannot
reproduce. As in path-svc, a tombstone makes the outcome order-free: rows
written before the erasure are deleted with it, facts applied after it are
skipped. The tombstone keeps the student's identity digests, because
statements and submitted results name the student only by those. The LRS's
statements are sealed with their actor's stored key (``adapters.keyring``),
destroyed here with the rows, so what ``StatementStored`` carries on the log
cannot be read any more.

Projections that write rows about students take ``SHARE`` on the tombstones
before reading them; an erasure takes ``SHARE ROW EXCLUSIVE`` first, so the
two serialise and a batch in flight cannot write a row the erasure missed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import asyncpg

from assessment_svc.adapters.keyring import AGENT
from pathwise_runtime import keystore


async def erased_students(
    conn: asyncpg.Connection, pairs: Iterable[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Lock out concurrent erasures; the erased among (district, student) ``pairs``."""
    wanted = sorted(set(pairs))
    await conn.execute("LOCK TABLE erased_students IN SHARE MODE")
    if not wanted:
        return set()
    rows = await conn.fetch(
        """SELECT district_id, student_id FROM erased_students
            JOIN unnest($1::text[], $2::text[]) AS w(district_id, student_id)
                 USING (district_id, student_id)""",
        [d for d, _ in wanted],
        [s for _, s in wanted],
    )
    return {(r["district_id"], r["student_id"]) for r in rows}


async def erased_identities(
    conn: asyncpg.Connection, pairs: Iterable[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Lock out concurrent erasures; the (district, identity digest) ``pairs`` of erased
    students."""
    wanted = sorted(set(pairs))
    await conn.execute("LOCK TABLE erased_students IN SHARE MODE")
    if not wanted:
        return set()
    rows = await conn.fetch(
        """SELECT DISTINCT w.district_id, w.identity
             FROM unnest($1::text[], $2::text[]) AS w(district_id, identity)
             JOIN erased_students e
               ON e.district_id = w.district_id AND w.identity = ANY(e.identities)""",
        [d for d, _ in wanted],
        [i for _, i in wanted],
    )
    return {(r["district_id"], r["identity"]) for r in rows}


async def erase(conn: asyncpg.Connection, district: str, student_id: str, at: datetime) -> None:
    """Tombstone first (it waits for batches in flight), then delete everywhere."""
    await conn.execute("LOCK TABLE erased_students IN SHARE ROW EXCLUSIVE MODE")
    identities: list[str] = await conn.fetchval(
        """SELECT coalesce(array_agg(identity ORDER BY identity), '{}') FROM identities
            WHERE district_id = $1 AND student_id = $2""",
        district,
        student_id,
    )
    await conn.execute(
        """INSERT INTO erased_students (district_id, student_id, identities, erased_at)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (district_id, student_id)
           DO UPDATE SET identities = ARRAY(SELECT DISTINCT unnest(
                             erased_students.identities || excluded.identities) ORDER BY 1)""",
        district,
        student_id,
        identities,
        at,
    )
    await conn.execute(
        """DELETE FROM statements
            WHERE district_id = $1 AND (agent = ANY($2::text[]) OR related_agents && $2::text[])""",
        district,
        identities,
    )
    # The keys their statements are sealed with: on the log, those are noise from now on.
    await keystore.destroy(conn, district, AGENT, identities)
    # The LRS's documents and attachments about them go with their key.
    for table in ("parked", "unmapped", "xapi_ingested", "xapi_documents", "xapi_attachments"):
        await conn.execute(
            f"DELETE FROM {table} WHERE district_id = $1 AND identity = ANY($2::text[])",
            district,
            identities,
        )
    for table in ("assessments", "ingested", "identities", "resolved"):
        await conn.execute(
            f"DELETE FROM {table} WHERE district_id = $1 AND student_id = $2",
            district,
            student_id,
        )
