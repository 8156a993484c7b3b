"""The ``delivery_log`` projection: the per-recipient history of outcomes.

Built from notify-svc's own events, so it survives the loss of the sender's
operational state. Erasure reaches it from the profile log (``recipients``):
an erased student's entries go, an erased guardian's stay without naming
them; the tombstones make a replay, or an outcome that arrives late, do the
same.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from pathwise_contracts import (
    NOTIFY_EVENTS,
    Envelope,
    NotificationDeliveryReported,
    NotificationFailed,
    NotificationScheduled,
    NotificationSent,
    NotificationSuppressed,
)
from pathwise_runtime.projection import Delivered

# Suppressions that only delay: the message follows (never dropped), so not final.
HOLDS = frozenset({"quiet_hours", "digest"})
REDACTED = "erased"
"""What an erased guardian's entries say instead of their id."""


class DeliveryLogProjection:
    """What became of each notification, per guardian, from notify-svc's own events."""

    name: str = "delivery_log"
    topics: tuple[str, ...] = (NOTIFY_EVENTS.name,)
    tables: tuple[str, ...] = ("delivery_log",)

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Delivered]) -> list[Envelope]:
        # In log order: a batch may hold a notification's scheduling, its outcome and
        # its delivery report, and each builds on the last. Runs of one kind go together.
        runs: list[tuple[str, list[tuple[object, ...]]]] = []
        gone, hidden = await _erased(
            conn, {(d.envelope.districtid, d.envelope.subject) for d in batch}
        )
        for item in batch:
            erased = (item.envelope.districtid, item.envelope.subject) in gone
            step = None if erased else _step(item)
            if step is None:
                continue
            statement, row = step
            if (row[2], row[1], row[3]) in hidden:
                row = _redacted(statement, row)
            if runs and runs[-1][0] == statement:
                runs[-1][1].append(row)
            else:
                runs.append((statement, [row]))
        for statement, rows in runs:
            await conn.executemany(statement, rows)
        return []


async def _erased(
    conn: asyncpg.Connection, students: set[tuple[str, str]]
) -> tuple[set[tuple[str, str]], set[tuple[str, str, str]]]:
    """Erased (district, student) pairs, and erased guardians' links, among ``students``;
    waits for an erasure in flight (it holds the lock) so none of its rows is written
    after it."""
    await conn.execute("LOCK TABLE erased_students IN SHARE MODE")
    wanted = sorted(students)
    districts, ids = [d for d, _ in wanted], [s for _, s in wanted]
    gone = await conn.fetch(
        """SELECT district_id, student_id FROM erased_students
             JOIN unnest($1::text[], $2::text[]) AS k(district_id, student_id)
            USING (district_id, student_id)""",
        districts,
        ids,
    )
    hidden = await conn.fetch(
        """SELECT district_id, student_id, guardian_id FROM erased_guardians
             JOIN unnest($1::text[], $2::text[]) AS k(district_id, student_id)
            USING (district_id, student_id)""",
        districts,
        ids,
    )
    return (
        {(r["district_id"], r["student_id"]) for r in gone},
        {(r["district_id"], r["student_id"], r["guardian_id"]) for r in hidden},
    )


def _redacted(statement: str, row: tuple[object, ...]) -> tuple[object, ...]:
    out = list(row)
    out[3] = REDACTED
    if statement is _OUTCOME:
        out[10] = None  # a provider's error text may quote the address
    return tuple(out)


def _step(item: Delivered) -> tuple[str, tuple[object, ...]] | None:
    event, envelope = item.event, item.envelope
    if isinstance(event, NotificationScheduled):
        return _SCHEDULED, (*_key(event, envelope), event.cause, event.language)
    if isinstance(event, NotificationDeliveryReported):
        return _REPORTED, (*_key(event, envelope), event.provider_status, event.outcome)
    row = _outcome(item)
    return (_OUTCOME, row) if row is not None else None


# Announces the notification; never moves an outcome that is already there. No
# statement changes an entry of another district than the event's.
_SCHEDULED = """
    INSERT INTO delivery_log AS l (notification_id, student_id, district_id, guardian_id,
           channel, cause_event_id, at, recipient, status, final, cause, language)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'scheduled', false, $9, $10)
    ON CONFLICT (notification_id) DO UPDATE SET cause = excluded.cause,
           language = excluded.language
     WHERE l.district_id = excluded.district_id
"""

# A 'sent' entry is final: nothing later in the log may overwrite it.
_OUTCOME = """
    INSERT INTO delivery_log AS l (notification_id, student_id, district_id, guardian_id,
           channel, cause_event_id, status, template, attempt, final, error, at, recipient)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    ON CONFLICT (notification_id) DO UPDATE
       SET status = excluded.status, template = excluded.template,
           attempt = excluded.attempt, final = excluded.final,
           error = excluded.error, at = excluded.at
     WHERE l.status <> 'sent' AND l.district_id = excluded.district_id
"""

# A delivery report implies the message was sent; a settled report (delivered or
# not) is not replaced by a 'pending' one that arrives late.
_REPORTED = """
    INSERT INTO delivery_log AS l (notification_id, student_id, district_id, guardian_id,
           channel, cause_event_id, at, recipient, status, final, provider_status, delivery)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'sent', true, $9, $10)
    ON CONFLICT (notification_id) DO UPDATE
       SET provider_status = excluded.provider_status, delivery = excluded.delivery
     WHERE l.district_id = excluded.district_id
       AND (l.delivery IS NULL OR l.delivery = 'pending' OR excluded.delivery <> 'pending')
"""


def _key(
    event: NotificationScheduled | NotificationDeliveryReported, envelope: Envelope
) -> tuple[object, ...]:
    return (
        event.notification_id,
        event.student_id,
        envelope.districtid,
        event.guardian_id,
        str(event.channel),
        event.cause_event_id,
        envelope.time,
        event.recipient,
    )


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
        final = event.reason not in HOLDS
        status, template, attempt, error = "suppressed", None, None, event.reason
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
        event.recipient,
    )
