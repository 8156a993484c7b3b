"""Claiming planned notifications for the sender: what is due, with what sending it needs.

A batch is committed as 'claimed' (taken, not yet tried) before anything is
sent; claimed rows a crash left behind were never tried and go back in the
queue (``deliveries.release_abandoned``). Due held rows of one guardian are
claimed together so a digest is one message. Times come from the sender's
clock (``now``), never from the database's.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

import asyncpg

from notify_svc.commands.targets import Target, wrap
from notify_svc.domain.schedule import Preferences
from notify_svc.domain.templates import Item
from pathwise_contracts import (
    EncryptedValue,
    Envelope,
    NotificationScheduled,
    derive_event_id,
)
from pathwise_runtime import outbox


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
    # When the coalescing window another message of this family opened closes.
    window_until: datetime | None = None
    phone: EncryptedValue | None = None
    audience: str = "guardians"
    # A message sent again after an unknown outcome keeps the reference it went out
    # under (and so its Message-ID): it is never regrouped with other messages.
    resent_ref: str | None = None

    @property
    def to_teacher(self) -> bool:
        """A teacher (staff) alert: no consent, quiet hours or digest, no unsubscribe link."""
        return self.audience == "teachers"

    @property
    def contact(self) -> EncryptedValue | None:
        """The sealed address on this notification's channel."""
        return self.phone if self.target.channel == "sms" else self.email

    @property
    def group(self) -> tuple[str, str, str, str]:
        """Whose digest this belongs to: one district's (student, guardian) on a channel."""
        t = self.target
        channel = t.channel if self.resent_ref is None else f"{t.channel}|{self.resent_ref}"
        return (t.district_id, t.student_id, t.guardian_id, channel)


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
    SELECT n.notification_id, n.student_id, n.district_id, n.guardian_id, n.channel,
           n.cause_event_id, 'claimed', 1, now()
      FROM fresh JOIN notifications n USING (notification_id)
      JOIN causes c ON c.cause_event_id = n.cause_event_id AND c.district_id = n.district_id
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

# Held rows that are due, all of a guardian's at once (one digest, not several). When a
# family's window closes, every message held to coalesce with it goes too: two sender
# loops that claimed two facts of one burst at the same moment each opened a window (a
# few milliseconds apart), and the family must still get one message.
_CLAIM_HELD = """
    UPDATE deliveries SET state = 'claimed', next_attempt_at = NULL, updated_at = now()
     WHERE notification_id IN (
           SELECT d.notification_id FROM deliveries d
             JOIN (SELECT DISTINCT district_id, student_id, guardian_id, channel
                     FROM deliveries
                    WHERE state = 'held' AND next_attempt_at <= $2
                    ORDER BY district_id, student_id, guardian_id, channel
                    LIMIT $1) k USING (district_id, student_id, guardian_id, channel)
            WHERE d.state = 'held' AND (d.next_attempt_at <= $2 OR d.hold_reason = 'coalesce')
              FOR UPDATE OF d SKIP LOCKED)
    RETURNING notification_id
"""

_JOBS = """
    SELECT d.notification_id, d.attempts, d.student_id, d.district_id, d.guardian_id,
           d.channel, d.cause_event_id, n.notification_id IS NOT NULL AS planned,
           CASE WHEN d.resends > 0 THEN d.message_ref END AS resent_ref,
           coalesce(g.email, t.email) AS email, g.phone, g.language, n.audience,
           c.competency_id, c.evidence_id, c.kind, c.detail,
           n.planned_at, g.time_zone, g.quiet_hours, g.frequency, d.hold_reason,
           (SELECT min(w.next_attempt_at) FROM deliveries w
             WHERE w.state = 'held' AND w.hold_reason = 'coalesce'
               AND w.district_id = d.district_id AND w.student_id = d.student_id
               AND w.guardian_id = d.guardian_id
               AND w.channel = d.channel
               AND w.notification_id <> d.notification_id) AS window_until,
           (SELECT count(*) FROM causes m
             WHERE c.kind = 'weekly_summary' AND m.district_id = c.district_id
               AND m.student_id = c.student_id
               AND m.kind = 'competency_mastered'
               AND m.occurred_at >= c.occurred_at - interval '7 days'
               AND m.occurred_at < c.occurred_at) AS week_mastered
      FROM deliveries d
      LEFT JOIN notifications n ON n.notification_id = d.notification_id
                               AND n.district_id = d.district_id
      LEFT JOIN guardians g ON g.district_id = d.district_id AND g.student_id = d.student_id
                           AND g.guardian_id = d.guardian_id AND n.audience = 'guardians'
      LEFT JOIN teachers t ON t.district_id = d.district_id AND t.student_id = d.student_id
                          AND t.teacher_id = d.guardian_id AND n.audience = 'teachers'
      LEFT JOIN causes c ON c.cause_event_id = d.cause_event_id
                        AND c.district_id = d.district_id
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
        jobs = await load(conn, ids, default_zone)
        if source is not None and fresh:
            new = {str(n) for n in fresh}
            await outbox.add_events(
                conn, [_scheduled(j, source) for j in jobs if j.target.notification_id in new]
            )
    return jobs


async def load(
    conn: asyncpg.Pool | asyncpg.Connection, ids: list[Any], default_zone: str
) -> list[Job]:
    """What sending these notifications needs (the reconciler rebuilds a text from it)."""
    rows = await conn.fetch(_JOBS, [uuid.UUID(str(i)) for i in ids]) if ids else []
    return [_job(r, default_zone) for r in rows]


def _scheduled(job: Job, source: str) -> Envelope:
    event = NotificationScheduled(
        **job.target.fields(),
        cause=job.kind,
        language=job.language,
        planned_at=job.planned_at or datetime.now(UTC),
    )
    event_id = derive_event_id(job.target.notification_id, "scheduled")
    return wrap(event, event_id, job.target, source)


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
        window_until=row["window_until"],
        phone=EncryptedValue.model_validate_json(row["phone"]) if row["phone"] else None,
        audience=row["audience"] or "guardians",
        resent_ref=str(row["resent_ref"]) if row["resent_ref"] else None,
    )
