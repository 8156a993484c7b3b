"""The sender's own bookkeeping: which planned notification is in which state.

``deliveries`` is operational state, not a projection, and replay leaves it
alone. A batch is first committed as 'claimed' (taken, not yet tried); each
row is committed as 'sending' just *before* its mail goes out, so a crash
mid-send leaves evidence: such a row is never sent again (the family might get
the mail twice) but closed as 'unknown'. Claimed rows a crash left behind were
never tried and simply go back in the queue. Every outcome is recorded together
with the event that tells the log about it, in one transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from notify_svc.domain.redaction import scrub
from pathwise_contracts import (
    Channel,
    EncryptedValue,
    Envelope,
    NotificationFailed,
    NotificationSent,
    derive_event_id,
)
from pathwise_runtime import outbox

UNKNOWN_AFTER_CRASH = "outcome unknown after a crash; not resent to avoid a duplicate"
NO_LONGER_PLANNED = "no longer planned (guardian not reachable any more); not retried"


@dataclass(frozen=True, slots=True)
class Target:
    """Which notification, to whom, about what: the fields every outcome event names."""

    notification_id: str
    student_id: str
    district_id: str
    guardian_id: str
    channel: str
    cause_event_id: str

    @classmethod
    def of(cls, row: asyncpg.Record) -> Target:
        return cls(
            notification_id=str(row["notification_id"]),
            student_id=row["student_id"],
            district_id=row["district_id"],
            guardian_id=row["guardian_id"],
            channel=row["channel"],
            cause_event_id=str(row["cause_event_id"]),
        )

    def fields(self) -> dict[str, object]:
        return {
            "student_id": self.student_id,
            "notification_id": uuid.UUID(self.notification_id),
            "guardian_id": self.guardian_id,
            "channel": Channel(self.channel),
            "cause_event_id": uuid.UUID(self.cause_event_id),
        }


@dataclass(frozen=True, slots=True)
class Job:
    """One claimed notification with what sending it needs.

    ``planned`` is false when the notification was withdrawn (the guardian is
    no longer reachable) between a failed attempt and its retry.
    """

    target: Target
    attempt: int
    planned: bool
    email: EncryptedValue | None
    language: str
    competency_id: str | None
    evidence_id: str | None


_CLAIM_NEW = """
    WITH fresh AS (
        SELECT n.notification_id FROM notifications n
         WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.notification_id = n.notification_id)
           AND NOT EXISTS (SELECT 1 FROM delivery_log l
                            WHERE l.notification_id = n.notification_id)
         ORDER BY n.planned_at
         LIMIT $1
           FOR UPDATE OF n SKIP LOCKED)
    INSERT INTO deliveries (notification_id, student_id, district_id, guardian_id, channel,
                            cause_event_id, state, attempts, updated_at)
    SELECT n.notification_id, n.student_id, c.district_id, n.guardian_id, n.channel,
           n.cause_event_id, 'claimed', 1, now()
      FROM fresh JOIN notifications n USING (notification_id)
      JOIN causes c ON c.cause_event_id = n.cause_event_id
    ON CONFLICT (notification_id) DO NOTHING
    RETURNING notification_id
"""

_CLAIM_DUE = """
    UPDATE deliveries SET state = 'claimed', attempts = attempts + 1,
                          next_attempt_at = NULL, updated_at = now()
     WHERE notification_id IN (
           SELECT notification_id FROM deliveries
            WHERE state = 'failed' AND next_attempt_at <= now()
            ORDER BY next_attempt_at
            LIMIT $1
              FOR UPDATE SKIP LOCKED)
    RETURNING notification_id
"""

_JOBS = """
    SELECT d.notification_id, d.attempts, d.student_id, d.district_id, d.guardian_id,
           d.channel, d.cause_event_id, n.notification_id IS NOT NULL AS planned,
           g.email, g.language, c.competency_id, c.evidence_id
      FROM deliveries d
      LEFT JOIN notifications n ON n.notification_id = d.notification_id
      LEFT JOIN guardians g ON g.student_id = d.student_id AND g.guardian_id = d.guardian_id
      LEFT JOIN causes c ON c.cause_event_id = d.cause_event_id
     WHERE d.notification_id = ANY($1::uuid[])
     ORDER BY d.notification_id
"""


async def claim(pool: asyncpg.Pool, limit: int) -> list[Job]:
    """Mark up to ``limit`` new and due notifications 'claimed' and commit that first."""
    async with pool.acquire() as conn, conn.transaction():
        ids = [r["notification_id"] for r in await conn.fetch(_CLAIM_NEW, limit)]
        ids += [r["notification_id"] for r in await conn.fetch(_CLAIM_DUE, limit)]
        rows = await conn.fetch(_JOBS, ids) if ids else []
    return [_job(r) for r in rows]


def _job(row: asyncpg.Record) -> Job:
    email = row["email"]
    return Job(
        target=Target.of(row),
        attempt=row["attempts"],
        planned=row["planned"],
        email=EncryptedValue.model_validate_json(email) if email else None,
        language=row["language"] or "en",
        competency_id=row["competency_id"],
        evidence_id=str(row["evidence_id"]) if row["evidence_id"] else None,
    )


async def record_sent(pool: asyncpg.Pool, target: Target, template: str, source: str) -> None:
    """The server took the mail: say so in the table and on the log, together.

    A row already closed as 'unknown' is corrected to 'sent' too: the truth
    arrived late, and the log's later event supersedes the earlier guess.
    """
    event = NotificationSent(**target.fields(), template=template)
    envelope = _wrap(event, uuid.UUID(target.notification_id), target, source)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """UPDATE deliveries SET state = 'sent', last_error = NULL, updated_at = now()
                WHERE notification_id = $1 AND state IN ('sending', 'unknown')""",
            target.notification_id,
        )
        await outbox.add_events(conn, [envelope])


async def record_failed(
    pool: asyncpg.Pool,
    target: Target,
    attempt: int,
    error: str,
    source: str,
    *,
    retry_in: timedelta | None,
) -> None:
    """A failed attempt: 'failed' with the next try, or 'dead' when ``retry_in`` is None."""
    text = scrub(error)
    final = retry_in is None
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """UPDATE deliveries
                  SET state = $2, last_error = $3, updated_at = now(),
                      next_attempt_at = now() + $4::interval
                WHERE notification_id = $1 AND state = 'sending'""",
            target.notification_id,
            "dead" if final else "failed",
            text,
            retry_in,
        )
        await outbox.add_events(conn, [_failure(target, attempt, text, final, source)])


async def begin_send(pool: asyncpg.Pool, notification_id: str) -> bool:
    """Commit 'sending' right before the mail goes out; False if the claim was lost."""
    async with pool.acquire() as conn:
        status = await conn.execute(
            """UPDATE deliveries SET state = 'sending', updated_at = now()
                WHERE notification_id = $1 AND state = 'claimed'""",
            uuid.UUID(str(notification_id)),
        )
    return bool(status.endswith(" 1"))


async def release_abandoned(pool: asyncpg.Pool, older_than: timedelta) -> int:
    """Put claims a crash left untried back in the queue (they were never sent)."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """UPDATE deliveries SET state = 'failed', attempts = attempts - 1,
                      next_attempt_at = now(), updated_at = now()
                WHERE state = 'claimed' AND updated_at < now() - $1::interval
            RETURNING notification_id""",
            older_than,
        )
    return len(rows)


async def close_interrupted(pool: asyncpg.Pool, source: str, older_than: timedelta) -> int:
    """Close 'sending' rows nobody finished (a crash) as 'unknown', without resending.

    Only rows older than any send can take are touched, so a replica starting
    next to one that is mid-send does not close that send under it.
    """
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            """UPDATE deliveries SET state = 'unknown', last_error = $2, updated_at = now()
                WHERE notification_id IN (
                      SELECT notification_id FROM deliveries
                       WHERE state = 'sending' AND updated_at < now() - $1::interval
                         FOR UPDATE SKIP LOCKED)
            RETURNING notification_id, attempts, student_id, district_id, guardian_id, channel,
                      cause_event_id""",
            older_than,
            UNKNOWN_AFTER_CRASH,
        )
        await outbox.add_events(
            conn,
            [
                _failure(Target.of(r), r["attempts"], UNKNOWN_AFTER_CRASH, True, source)
                for r in rows
            ],
        )
    return len(rows)


def _failure(target: Target, attempt: int, error: str, final: bool, source: str) -> Envelope:
    event = NotificationFailed(**target.fields(), attempt=attempt, error=error, final=final)
    event_id = derive_event_id(target.notification_id, "failed", str(attempt))
    return _wrap(event, event_id, target, source)


def _wrap(
    event: NotificationSent | NotificationFailed, event_id: uuid.UUID, target: Target, source: str
) -> Envelope:
    return Envelope.wrap(
        event, id=event_id, source=source, district_id=target.district_id, time=datetime.now(UTC)
    )
