"""Command side: turn accepted requests into events in the outbox.

The ``ingested`` row and the outbox row are written in one transaction, so a
result is either fully accepted (and will be published) or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple
from uuid import UUID

import asyncpg

from assessment_svc.domain.submission import Submission
from assessment_svc.domain.voiding import void_event
from pathwise_contracts import Envelope, Event, SubmissionVoided, derive_event_id
from pathwise_runtime import access, outbox
from pathwise_runtime.auth import Principal
from pathwise_runtime.policy import Act


class Outcome(StrEnum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


class Recorded(NamedTuple):
    outcome: Outcome
    assessment_id: UUID


@dataclass(frozen=True, slots=True)
class Ingested:
    """An ingested result as the command side knows it."""

    assessment_id: UUID
    student_id: str
    district_id: str


# The id (``own_id``) and the row in one statement: a result is mostly new. Concurrent
# re-sends wait on the primary key here; the queries after it then see the winner's row.
# $1 district, $2 student (as ``access.ACCESS_ROW`` has them), $3 the id, $4 the legacy
# id, $5 the fingerprint.
_INSERT = """INSERT INTO ingested (assessment_id, student_id, district_id, fingerprint)
             SELECT CASE WHEN EXISTS (SELECT FROM ingested
                                       WHERE assessment_id = $4 AND district_id = $1)
                         THEN $4::uuid ELSE $3::uuid END, $2, $1, $5
             ON CONFLICT (assessment_id) DO NOTHING
             RETURNING assessment_id"""

# The insert and, beside it, what the policy decides on: one round trip for both.
_RECORD_CHECKED = f"""
WITH access AS ({access.ACCESS_ROW}), new AS ({_INSERT})
SELECT (SELECT assessment_id FROM new) AS inserted, access.*
  FROM (VALUES (1)) AS one LEFT JOIN access ON true"""


async def record(
    conn: asyncpg.Connection, who: Principal, submission: Submission, *, source: str
) -> Recorded:
    """Accept a result once if ``who`` may record it; a re-send is a duplicate, a changed
    re-send a conflict.

    The policy's facts come with the insert, and a denial rolls the insert back, so
    an accepted result costs one statement fewer than authorizing first.
    """
    district = who.district
    fingerprint = submission.fingerprint(district)
    async with conn.transaction():
        row = await conn.fetchrow(
            _RECORD_CHECKED,
            district,
            submission.student_id,
            submission.assessment_id(district),
            submission.legacy_id,
            fingerprint,
        )
        access.check(who, Act.RECORD, submission.student_id, row)
        return await _recorded(conn, submission, district, source, fingerprint, row["inserted"])


async def record_in(
    conn: asyncpg.Connection, submission: Submission, *, district: str, source: str
) -> Recorded:
    """Accept a result once inside the caller's transaction (who may, checked before)."""
    fingerprint = submission.fingerprint(district)
    assessment_id: UUID | None = await conn.fetchval(
        _INSERT,
        district,
        submission.student_id,
        submission.assessment_id(district),
        submission.legacy_id,
        fingerprint,
    )
    return await _recorded(conn, submission, district, source, fingerprint, assessment_id)


async def _recorded(
    conn: asyncpg.Connection,
    submission: Submission,
    district: str,
    source: str,
    fingerprint: str,
    assessment_id: UUID | None,
) -> Recorded:
    """The outcome once the insert answered ``assessment_id`` (None: the id was taken)."""
    if assessment_id is None:
        assessment_id = await own_id(
            conn, district, submission.assessment_id(district), submission.legacy_id
        )
        known = await conn.fetchval(
            "SELECT fingerprint FROM ingested WHERE assessment_id = $1", assessment_id
        )
        outcome = Outcome.DUPLICATE if known == fingerprint else Outcome.CONFLICT
        return Recorded(outcome, assessment_id)
    envelope = Envelope.wrap(
        submission.event(assessment_id),
        id=assessment_id,
        source=source,
        district_id=district,
        time=datetime.now(UTC),
    )
    await outbox.add_events(conn, [envelope])
    return Recorded(Outcome.RECORDED, assessment_id)


async def own_id(conn: asyncpg.Connection, district: str, new: UUID, legacy: UUID) -> UUID:
    """The id a district's result goes by: ``new``, unless it was recorded as ``legacy``.

    Results recorded before ids carried the district keep their first id, so a
    re-send of one is still a duplicate (or a conflict), never a second result.
    Another district's result under the same legacy id is not this one.
    """
    known = await conn.fetchval(
        "SELECT true FROM ingested WHERE assessment_id = $1 AND district_id = $2",
        legacy,
        district,
    )
    return legacy if known else new


async def find(conn: asyncpg.Connection, assessment_id: UUID) -> Ingested | None:
    row = await conn.fetchrow(
        "SELECT assessment_id, student_id, district_id FROM ingested WHERE assessment_id = $1",
        assessment_id,
    )
    return Ingested(**row) if row else None


async def void(conn: asyncpg.Connection, target: Ingested, reason: str, *, source: str) -> bool:
    """Queue the void; False when this assessment was already voided.

    The flag lives in ``ingested`` rather than relying on the outbox's id check,
    because the outbox forgets published rows after a while.
    """
    event: Event
    event_id, event = void_event(target.assessment_id, target.student_id, reason)
    if target.student_id.startswith("ext:"):
        # A result from a standard: its student is resolved downstream, so the
        # withdrawal travels the same way (and follows the result on its key).
        event_id = derive_event_id(target.assessment_id, "submission-void")
        event = SubmissionVoided(
            student_id=target.student_id, assessment_id=target.assessment_id, reason=reason
        )
    envelope = Envelope.wrap(
        event, id=event_id, source=source, district_id=target.district_id, time=datetime.now(UTC)
    )
    async with conn.transaction():
        first = await conn.fetchval(
            """UPDATE ingested SET voided = true WHERE assessment_id = $1 AND NOT voided
               RETURNING true""",
            target.assessment_id,
        )
        if not first:
            return False
        await outbox.add_events(conn, [envelope])
    return True
