"""The sender's own bookkeeping: which planned notification is in which state.

``deliveries`` is operational state, not a projection, and replay leaves it
alone. A batch is first committed as 'claimed' (taken, not yet tried); each
row is committed as 'sending' just *before* its mail goes out, so a crash
mid-send leaves evidence: such a row is never sent again (the family might get
the mail twice) but closed as 'unknown'. Claimed rows a crash left behind were
never tried and simply go back in the queue. Every outcome is recorded together
with the event that tells the log about it, in one transaction.

A row may also be 'held' until a time the sender's clock decides (quiet hours,
the daily digest, a scheduled summary); due held rows of one guardian are
claimed together so a digest is one message. Times that schedule work come
from the sender's clock (``now``), never from the database's.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import asyncpg

from notify_svc.domain.delivery_status import outcome
from notify_svc.domain.redaction import scrub
from notify_svc.domain.schedule import Preferences
from notify_svc.domain.templates import Item
from pathwise_contracts import (
    Channel,
    EncryptedValue,
    Envelope,
    NotificationDeliveryReported,
    NotificationFailed,
    NotificationScheduled,
    NotificationSent,
    NotificationSuppressed,
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
    audience: str = "guardians"

    @classmethod
    def of(cls, row: asyncpg.Record) -> Target:
        return cls(
            notification_id=str(row["notification_id"]),
            student_id=row["student_id"],
            district_id=row["district_id"],
            guardian_id=row["guardian_id"],
            channel=row["channel"],
            cause_event_id=str(row["cause_event_id"]),
            audience=row.get("audience") or "guardians",
        )

    def fields(self) -> dict[str, object]:
        return {
            "student_id": self.student_id,
            "notification_id": uuid.UUID(self.notification_id),
            "guardian_id": self.guardian_id,
            "recipient": "teacher" if self.audience == "teachers" else "guardian",
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
    kind: str = "competency_mastered"
    item: Item | None = None
    planned_at: datetime | None = None
    preferences: Preferences | None = None
    hold_reason: str | None = None
    phone: EncryptedValue | None = None
    audience: str = "guardians"

    @property
    def to_teacher(self) -> bool:
        """A teacher (staff) alert: no consent, quiet hours or digest, no unsubscribe link."""
        return self.audience == "teachers"

    @property
    def contact(self) -> EncryptedValue | None:
        """The sealed address on this notification's channel."""
        return self.phone if self.target.channel == "sms" else self.email

    @property
    def group(self) -> tuple[str, str, str]:
        """Whose digest this belongs to."""
        return (self.target.student_id, self.target.guardian_id, self.target.channel)


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
            WHERE state = 'failed' AND next_attempt_at <= $2
            ORDER BY next_attempt_at
            LIMIT $1
              FOR UPDATE SKIP LOCKED)
    RETURNING notification_id
"""

# Held rows that are due, all of a guardian's at once (one digest, not several).
_CLAIM_HELD = """
    UPDATE deliveries SET state = 'claimed', next_attempt_at = NULL, updated_at = now()
     WHERE notification_id IN (
           SELECT d.notification_id FROM deliveries d
             JOIN (SELECT DISTINCT student_id, guardian_id, channel FROM deliveries
                    WHERE state = 'held' AND next_attempt_at <= $2
                    ORDER BY student_id, guardian_id, channel
                    LIMIT $1) k USING (student_id, guardian_id, channel)
            WHERE d.state = 'held' AND d.next_attempt_at <= $2
              FOR UPDATE OF d SKIP LOCKED)
    RETURNING notification_id
"""

_JOBS = """
    SELECT d.notification_id, d.attempts, d.student_id, d.district_id, d.guardian_id,
           d.channel, d.cause_event_id, n.notification_id IS NOT NULL AS planned,
           coalesce(g.email, t.email) AS email, g.phone, g.language, n.audience,
           c.competency_id, c.evidence_id, c.kind, c.detail,
           n.planned_at, g.time_zone, g.quiet_hours, g.frequency, d.hold_reason,
           (SELECT count(*) FROM causes m
             WHERE c.kind = 'weekly_summary' AND m.student_id = c.student_id
               AND m.kind = 'competency_mastered'
               AND m.occurred_at >= c.occurred_at - interval '7 days'
               AND m.occurred_at < c.occurred_at) AS week_mastered
      FROM deliveries d
      LEFT JOIN notifications n ON n.notification_id = d.notification_id
      LEFT JOIN guardians g ON g.student_id = d.student_id AND g.guardian_id = d.guardian_id
                           AND n.audience = 'guardians'
      LEFT JOIN teachers t ON t.student_id = d.student_id AND t.teacher_id = d.guardian_id
                          AND n.audience = 'teachers'
      LEFT JOIN causes c ON c.cause_event_id = d.cause_event_id
     WHERE d.notification_id = ANY($1::uuid[])
     ORDER BY d.notification_id
"""


async def claim(
    pool: asyncpg.Pool, limit: int, now: datetime, default_zone: str, source: str | None = None
) -> list[Job]:
    """Mark up to ``limit`` new and due notifications 'claimed' and commit that first.

    A notification claimed for the first time is announced with
    ``NotificationScheduled`` in the same transaction (when ``source`` is
    given). ``deliveries`` has one row per notification, so that happens
    exactly once; its derived id makes a repeat a no-op in the outbox anyway.
    """
    async with pool.acquire() as conn, conn.transaction():
        fresh = [r["notification_id"] for r in await conn.fetch(_CLAIM_NEW, limit)]
        ids = fresh + [r["notification_id"] for r in await conn.fetch(_CLAIM_DUE, limit, now)]
        ids += [r["notification_id"] for r in await conn.fetch(_CLAIM_HELD, limit, now)]
        rows = await conn.fetch(_JOBS, ids) if ids else []
        jobs = [_job(r, default_zone) for r in rows]
        if source is not None and fresh:
            new = {str(n) for n in fresh}
            await outbox.add_events(
                conn, [_scheduled(j, source) for j in jobs if j.target.notification_id in new]
            )
    return jobs


def _scheduled(job: Job, source: str) -> Envelope:
    event = NotificationScheduled(
        **job.target.fields(),
        cause=job.kind,
        language=job.language,
        planned_at=job.planned_at or datetime.now(UTC),
    )
    event_id = derive_event_id(job.target.notification_id, "scheduled")
    return _wrap(event, event_id, job.target, source)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _preferences(row: asyncpg.Record, default_zone: str) -> Preferences:
    quiet = _json(row["quiet_hours"]) or {}
    frequency = (_json(row["frequency"]) or {}).get(row["channel"], "instant")
    return Preferences(
        time_zone=row["time_zone"] or default_zone,
        frequency=frequency,
        quiet_start=time.fromisoformat(quiet["start"]) if quiet else None,
        quiet_end=time.fromisoformat(quiet["end"]) if quiet else None,
    )


def _job(row: asyncpg.Record, default_zone: str) -> Job:
    email = row["email"]
    detail = _json(row["detail"]) or {}
    kind = row["kind"] or "competency_mastered"
    return Job(
        target=Target.of(row),
        attempt=row["attempts"],
        planned=row["planned"],
        email=EncryptedValue.model_validate_json(email) if email else None,
        language=row["language"] or "en",
        competency_id=row["competency_id"],
        evidence_id=str(row["evidence_id"]) if row["evidence_id"] else None,
        kind=kind,
        item=Item(
            kind=kind,
            code=row["competency_id"] or "",
            codes=tuple(detail.get("codes", ())),
            count=int(row["week_mastered"] or 0),
            week=str(detail.get("week", "")),
        ),
        planned_at=row["planned_at"],
        preferences=_preferences(row, default_zone),
        hold_reason=row["hold_reason"],
        phone=EncryptedValue.model_validate_json(row["phone"]) if row["phone"] else None,
        audience=row["audience"] or "guardians",
    )


async def record_held(
    pool: asyncpg.Pool, target: Target, until: datetime, reason: str, source: str
) -> None:
    """Not now: wait until ``until`` (quiet hours, digest, schedule); say why on the log."""
    event = NotificationSuppressed(**target.fields(), reason=_logged_reason(reason))
    event_id = derive_event_id(target.notification_id, "held", reason, until.isoformat())
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """UPDATE deliveries SET state = 'held', hold_reason = $2, next_attempt_at = $3,
                                     updated_at = now()
                WHERE notification_id = $1 AND state = 'claimed'""",
            uuid.UUID(target.notification_id),
            reason,
            until,
        )
        await outbox.add_events(conn, [_wrap(event, event_id, target, source)])


def _logged_reason(reason: str) -> Any:
    # A scheduled summary waits for its time like a digest does: no message yet, one later.
    return "digest" if reason == "scheduled" else reason


async def record_suppressed(pool: asyncpg.Pool, target: Target, reason: str, source: str) -> None:
    """Never sent (e.g. the guardian turned this channel off); final."""
    event = NotificationSuppressed(**target.fields(), reason=reason)
    event_id = derive_event_id(target.notification_id, "suppressed", reason)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """UPDATE deliveries SET state = 'suppressed', last_error = $2, updated_at = now()
                WHERE notification_id = $1 AND state = 'claimed'""",
            uuid.UUID(target.notification_id),
            reason,
        )
        await outbox.add_events(conn, [_wrap(event, event_id, target, source)])


async def _lock_provider_message(conn: asyncpg.Connection, provider_id: str) -> None:
    """Serialise recording a provider message's send and its delivery reports: otherwise a
    report arriving while the send is being recorded sees neither the send nor is seen."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", provider_id)


async def record_sent(
    pool: asyncpg.Pool,
    targets: Target | list[Target],
    template: str,
    source: str,
    *,
    provider_id: str | None = None,
) -> None:
    """The server took the mail (one, or a digest of several): table and log, together.

    A row already closed as 'unknown' is corrected to 'sent' too: the truth
    arrived late, and the log's later event supersedes the earlier guess.
    """
    many = targets if isinstance(targets, list) else [targets]
    envelopes = [
        _wrap(
            NotificationSent(**t.fields(), template=template),
            uuid.UUID(t.notification_id),
            t,
            source,
        )
        for t in many
    ]
    async with pool.acquire() as conn, conn.transaction():
        if provider_id is not None:
            await _lock_provider_message(conn, provider_id)
        await conn.execute(
            """UPDATE deliveries SET state = 'sent', last_error = NULL, updated_at = now(),
                                     provider_id = coalesce($2, provider_id)
                WHERE notification_id = ANY($1::uuid[]) AND state IN ('sending', 'unknown')""",
            [uuid.UUID(t.notification_id) for t in many],
            provider_id,
        )
        if provider_id is not None:
            reports = await conn.fetch(
                "SELECT status, provider FROM sms_reports WHERE provider_id = $1 ORDER BY at",
                provider_id,
            )
            for r in reports:
                await conn.execute(
                    """UPDATE deliveries SET provider_status = $2, provider_status_at = now()
                        WHERE provider_id = $1""",
                    provider_id,
                    r["status"],
                )
            envelopes += [
                _report(t, r["provider"], r["status"], source) for r in reports for t in many
            ]
        await outbox.add_events(conn, envelopes)


_REPORTED = """
    UPDATE deliveries SET provider_status = $2, provider_status_at = now()
     WHERE provider_id = $1
    RETURNING notification_id, student_id, district_id, guardian_id, channel, cause_event_id
"""


async def record_provider_status(
    pool: asyncpg.Pool,
    provider_id: str,
    status: str,
    *,
    provider: str = "twilio",
    source: str | None = None,
) -> bool:
    """A provider's delivery report (e.g. 'delivered', 'failed'); False if the id is unknown yet.

    The report is kept by (provider id, status) either way, so one that beats
    ``record_sent`` is published when the send is recorded. With ``source``,
    each notification the message carried gets a ``NotificationDeliveryReported``
    whose id is derived from the notification and the status: a provider
    repeating itself changes nothing.
    """
    async with pool.acquire() as conn, conn.transaction():
        await _lock_provider_message(conn, provider_id)
        await conn.execute(
            """INSERT INTO sms_reports (provider_id, status, provider) VALUES ($1, $2, $3)
               ON CONFLICT DO NOTHING""",
            provider_id,
            status,
            provider,
        )
        rows = await conn.fetch(_REPORTED, provider_id, status)
        if source is not None:
            events = [_report(Target.of(r), provider, status, source) for r in rows]
            await outbox.add_events(conn, events)
    return bool(rows)


def _report(target: Target, provider: str, status: str, source: str) -> Envelope:
    event = NotificationDeliveryReported(
        **target.fields(), provider=provider, provider_status=status, outcome=outcome(status)
    )
    event_id = derive_event_id(target.notification_id, "delivery-report", status)
    return _wrap(event, event_id, target, source)


async def record_failed(
    pool: asyncpg.Pool,
    target: Target,
    attempt: int,
    error: str,
    source: str,
    *,
    retry_in: timedelta | None,
    now: datetime | None = None,
    sending: bool = False,
) -> bool:
    """A failed attempt: 'failed' with the next try, or 'dead' when ``retry_in`` is None.

    The next try is at ``now`` (the sender's clock) plus ``retry_in``. Only the
    state the caller holds is changed: 'claimed' before the message went out,
    'sending' (``sending=True``) after. A claim that outlived its lease and was
    taken over (and is being sent) by another loop is left alone, so its mail is
    recorded once and never sent again. Returns whether the failure was recorded.
    """
    text = scrub(error)
    final = retry_in is None
    async with pool.acquire() as conn, conn.transaction():
        updated = await conn.fetchval(
            """UPDATE deliveries
                  SET state = $2, last_error = $3, updated_at = now(),
                      next_attempt_at = $5::timestamptz + $4::interval
                WHERE notification_id = $1 AND state = $6
            RETURNING notification_id""",
            uuid.UUID(target.notification_id),
            "dead" if final else "failed",
            text,
            retry_in,
            now or datetime.now(UTC),
            "sending" if sending else "claimed",
        )
        if updated is None:
            return False
        await outbox.add_events(conn, [_failure(target, attempt, text, final, source)])
    return True


async def begin_send(pool: asyncpg.Pool, notification_id: str) -> bool:
    """Commit 'sending' right before the mail goes out; False if the claim was lost."""
    return bool(await begin_send_many(pool, [notification_id]))


async def begin_send_many(pool: asyncpg.Pool, notification_ids: list[str]) -> set[str]:
    """Commit 'sending' for one message's notifications; returns those still claimed."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """UPDATE deliveries SET state = 'sending', updated_at = now()
                WHERE notification_id = ANY($1::uuid[]) AND state = 'claimed'
            RETURNING notification_id""",
            [uuid.UUID(str(n)) for n in notification_ids],
        )
    return {str(r["notification_id"]) for r in rows}


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
                      cause_event_id,
                      (SELECT n.audience FROM notifications n
                        WHERE n.notification_id = deliveries.notification_id) AS audience""",
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
    event: NotificationSent
    | NotificationFailed
    | NotificationSuppressed
    | NotificationScheduled
    | NotificationDeliveryReported,
    event_id: uuid.UUID,
    target: Target,
    source: str,
) -> Envelope:
    return Envelope.wrap(
        event, id=event_id, source=source, district_id=target.district_id, time=datetime.now(UTC)
    )
