"""Command side: enrollments become events in the outbox, once per student.

The stream row and the outbox rows are written in one transaction, so an
enrollment is either fully accepted (and will be published) or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import asyncpg

from pathwise_contracts import Envelope
from pathwise_runtime import outbox
from profile_svc.domain.enrollment import Enrollment
from profile_svc.personal import PersonalData


class Outcome(StrEnum):
    ENROLLED = "enrolled"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    version: int


async def enroll(
    pool: asyncpg.Pool,
    enrollment: Enrollment,
    *,
    district: str,
    personal: PersonalData,
    source: str,
) -> Result:
    """Start the student's stream; a repeat is unchanged, other data a conflict."""
    fingerprint = enrollment.fingerprint(district, personal.digest_key)
    now = datetime.now(UTC)
    envelopes = [
        Envelope.wrap(event, id=event_id, source=source, district_id=district, time=now)
        for event_id, event in enrollment.events(district, personal.seal)
    ]
    async with pool.acquire() as conn, conn.transaction():
        # Concurrent repeats wait on the primary key here, then see the winner's row.
        version = await conn.fetchval(
            """INSERT INTO student_streams (student_id, district_id, version, fingerprint)
               VALUES ($1, $2, 1, $3) ON CONFLICT (student_id) DO NOTHING
               RETURNING version""",
            enrollment.student_id,
            district,
            fingerprint,
        )
        if version is None:
            row = await conn.fetchrow(
                "SELECT version, fingerprint FROM student_streams WHERE student_id = $1",
                enrollment.student_id,
            )
            same = row["fingerprint"] == fingerprint
            return Result(Outcome.UNCHANGED if same else Outcome.CONFLICT, row["version"])
        await outbox.add_events(conn, envelopes)
    return Result(Outcome.ENROLLED, version)
