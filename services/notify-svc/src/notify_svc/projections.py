"""Tables notify-svc builds from the log.

``planning`` reads the profile and path topics together so that the planned
notifications are a function of the current guardians and the facts alone:
a row exists for every (fact, reachable guardian) pair inside the guardian's
news window, whatever order the two topics were interleaved in. That is what
lets replay rebuild the table identically, and what makes a notification id
(derived from fact, guardian and channel) name one mail forever.

``delivery_log`` is the per-guardian history of outcomes, from notify-svc's
own events, so it survives the loss of the sender's operational state.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence

import asyncpg

from notify_svc.domain.audience import CHANNEL, NEWS_GRACE, reachable_by_email
from pathwise_contracts import (
    NOTIFY_EVENTS,
    PATH_EVENTS,
    PROFILE_EVENTS,
    CompetencyMastered,
    ContactPreferencesChanged,
    EncryptedValue,
    Envelope,
    GuardianLinked,
    NotificationFailed,
    NotificationSent,
    NotificationSuppressed,
    StudentEnrolled,
    derive_event_id,
)
from pathwise_runtime.projection import Delivered

PLANNED_CHANNEL = "notify_planned"


def notification_id(cause_event_id: object, guardian_id: str, channel: str = CHANNEL) -> str:
    """The id of the one notification about ``cause`` to ``guardian`` on ``channel``."""
    return str(derive_event_id(str(cause_event_id), guardian_id, channel))


def student_lock_key(student_id: str) -> int:
    """A signed 64-bit advisory-lock key per student."""
    digest = hashlib.sha256(b"notify-svc|student|" + student_id.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _sealed(value: EncryptedValue | None) -> str | None:
    return value.model_dump_json() if value is not None else None


class PlanningProjection:
    """students, guardians, causes and the notifications they imply."""

    name: str = "planning"
    topics: tuple[str, ...] = (PROFILE_EVENTS.name, PATH_EVENTS.name)
    tables: tuple[str, ...] = ("students", "guardians", "causes", "notifications")

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Delivered]) -> list[Envelope]:
        await _lock_students(conn, {d.envelope.subject for d in batch})
        touched: set[tuple[str, str]] = set()
        new_causes: list[str] = []
        for item in batch:
            event, time = item.event, item.envelope.time
            if isinstance(event, StudentEnrolled):
                await conn.execute(
                    """INSERT INTO students (student_id, district_id) VALUES ($1, $2)
                       ON CONFLICT (student_id) DO UPDATE SET district_id = excluded.district_id""",
                    event.student_id,
                    event.district_id,
                )
            elif isinstance(event, GuardianLinked):
                await _link(conn, event, item.envelope)
                touched.add((event.student_id, event.guardian_id))
            elif isinstance(event, ContactPreferencesChanged):
                await _change_preferences(conn, event, item.envelope)
                touched.add((event.student_id, event.guardian_id))
            elif isinstance(event, CompetencyMastered):
                inserted = await conn.fetchval(
                    """INSERT INTO causes (cause_event_id, student_id, district_id, kind,
                                           competency_id, evidence_id, occurred_at)
                       VALUES ($1, $2, $3, 'competency_mastered', $4, $5, $6)
                       ON CONFLICT (cause_event_id) DO NOTHING RETURNING cause_event_id""",
                    item.envelope.id,
                    event.student_id,
                    item.envelope.districtid,
                    event.competency_id,
                    event.evidence_id,
                    time,
                )
                if inserted is not None:
                    new_causes.append(str(inserted))
        await _replan(conn, touched, new_causes)
        return []


async def _lock_students(conn: asyncpg.Connection, students: Iterable[str]) -> None:
    """Serialise batches about the same student across replicas and topics.

    Without it, a guardian and a fact committed concurrently by two
    transactions would each miss the other and no notification would be
    planned. Keys are taken in one global order, so two batches cannot deadlock.
    """
    keys = sorted({student_lock_key(s) for s in students})
    if keys:
        # unnest yields the keys in array order, so they are locked in that order.
        await conn.execute("SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k", keys)


async def _link(conn: asyncpg.Connection, event: GuardianLinked, envelope: Envelope) -> None:
    reachable = reachable_by_email(event.educational_rights, event.consent, event.email is not None)
    await conn.execute(
        """INSERT INTO guardians AS g (student_id, guardian_id, relationship, educational_rights,
                                       language, email, phone, consent, linked_at, eligible_since)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9,
                   CASE WHEN $10::boolean THEN $9::timestamptz END)
           ON CONFLICT (student_id, guardian_id) DO UPDATE
              SET relationship = excluded.relationship,
                  educational_rights = excluded.educational_rights,
                  language = excluded.language,
                  email = excluded.email,
                  phone = excluded.phone,
                  consent = excluded.consent,
                  eligible_since = CASE WHEN $10::boolean
                                        THEN coalesce(g.eligible_since, $9::timestamptz) END""",
        event.student_id,
        event.guardian_id,
        event.relationship,
        event.educational_rights,
        event.language,
        _sealed(event.email),
        _sealed(event.phone),
        json.dumps({str(k): v for k, v in event.consent.items()}),
        envelope.time,
        reachable,
    )


async def _change_preferences(
    conn: asyncpg.Connection, event: ContactPreferencesChanged, envelope: Envelope
) -> None:
    """Update a known link; profile-svc orders a guardian's link before their changes."""
    # Rights come from the stored link, so reachability is decided in SQL.
    consents = reachable_by_email(True, event.consent, event.email is not None)
    await conn.execute(
        """UPDATE guardians
              SET language = $3, email = $4::jsonb, phone = $5::jsonb, consent = $6::jsonb,
                  eligible_since = CASE WHEN educational_rights AND $7::boolean
                                        THEN coalesce(eligible_since, $8::timestamptz) END
            WHERE student_id = $1 AND guardian_id = $2""",
        event.student_id,
        event.guardian_id,
        event.language,
        _sealed(event.email),
        _sealed(event.phone),
        json.dumps({str(k): v for k, v in event.consent.items()}),
        consents,
        envelope.time,
    )


_DESIRED = """
    SELECT c.cause_event_id, c.student_id, g.guardian_id,
           greatest(c.occurred_at, g.eligible_since) AS planned_at
      FROM causes c
      JOIN guardians g ON g.student_id = c.student_id
     WHERE g.eligible_since IS NOT NULL
       AND c.occurred_at >= g.eligible_since - $3::interval
"""


async def _replan(
    conn: asyncpg.Connection, touched: set[tuple[str, str]], new_causes: list[str]
) -> None:
    """Bring the notifications of changed guardians and new facts to what they imply."""
    if not touched and not new_causes:
        return
    pairs = sorted(touched)
    students, guardians = [s for s, _ in pairs], [g for _, g in pairs]
    await conn.execute(
        f"""DELETE FROM notifications n
             USING unnest($1::text[], $2::text[]) AS t(student_id, guardian_id)
             WHERE n.student_id = t.student_id AND n.guardian_id = t.guardian_id
               AND NOT EXISTS (
                   SELECT 1 FROM ({_DESIRED}) d
                    WHERE d.cause_event_id = n.cause_event_id
                      AND d.guardian_id = n.guardian_id
                      AND d.planned_at = n.planned_at)""",
        students,
        guardians,
        NEWS_GRACE,
    )
    desired = await conn.fetch(
        f"""SELECT * FROM ({_DESIRED}) d
             WHERE (d.student_id, d.guardian_id) IN
                       (SELECT * FROM unnest($1::text[], $2::text[]))
                OR d.cause_event_id = ANY($4::uuid[])""",
        students,
        guardians,
        NEWS_GRACE,
        new_causes,
    )
    if not desired:
        return
    inserted = await conn.fetch(
        """INSERT INTO notifications (notification_id, cause_event_id, student_id, guardian_id,
                                      channel, planned_at)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],
                                $6::timestamptz[])
           ON CONFLICT DO NOTHING RETURNING notification_id""",
        [notification_id(r["cause_event_id"], r["guardian_id"]) for r in desired],
        [r["cause_event_id"] for r in desired],
        [r["student_id"] for r in desired],
        [r["guardian_id"] for r in desired],
        [str(CHANNEL)] * len(desired),
        [r["planned_at"] for r in desired],
    )
    if inserted:
        await conn.execute(f"NOTIFY {PLANNED_CHANNEL}")


class DeliveryLogProjection:
    """What became of each notification, per guardian, from notify-svc's own events."""

    name: str = "delivery_log"
    topics: tuple[str, ...] = (NOTIFY_EVENTS.name,)
    tables: tuple[str, ...] = ("delivery_log",)

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Delivered]) -> list[Envelope]:
        rows = [row for item in batch if (row := _outcome(item)) is not None]
        if rows:
            # A 'sent' entry is final: nothing later in the log may overwrite it.
            await conn.executemany(
                """INSERT INTO delivery_log AS l (notification_id, student_id, district_id,
                       guardian_id, channel, cause_event_id, status, template, attempt, final,
                       error, at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                   ON CONFLICT (notification_id) DO UPDATE
                      SET status = excluded.status, template = excluded.template,
                          attempt = excluded.attempt, final = excluded.final,
                          error = excluded.error, at = excluded.at
                    WHERE l.status <> 'sent'""",
                rows,
            )
        return []


def _outcome(item: Delivered) -> tuple[object, ...] | None:
    event, envelope = item.event, item.envelope
    if isinstance(event, NotificationSent):
        status, template, attempt, final, error = "sent", event.template, None, True, None
    elif isinstance(event, NotificationFailed):
        status, template, attempt, final, error = (
            "failed",
            None,
            event.attempt,
            event.final,
            event.error,
        )
    elif isinstance(event, NotificationSuppressed):
        status, template, attempt, final, error = "suppressed", None, None, True, event.reason
    else:
        return None
    return (
        event.notification_id,
        event.student_id,
        envelope.districtid,
        event.guardian_id,
        str(event.channel),
        event.cause_event_id,
        status,
        template,
        attempt,
        final,
        error,
        envelope.time,
    )
