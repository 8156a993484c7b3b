"""The sender's own bookkeeping: which planned notification is in which state.

``deliveries`` is operational state, not a projection, and replay leaves it
alone. Claimed rows (``claims``) are committed as 'sending' just *before*
their message goes out, so a crash mid-send leaves evidence: such a row is
never blindly sent again (the family might get it twice) but closed as
'unknown', and the reconciler (``unknowns``) settles it with the provider.
Every outcome is recorded together with the event that tells the log about
it, in one transaction; a row may also be 'held' until a time the sender's
clock decides (quiet hours, the daily digest, a scheduled summary).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from notify_svc.commands import sms_reports
from notify_svc.commands.targets import Target, wrap
from notify_svc.domain.redaction import scrub
from pathwise_contracts import (
    Envelope,
    NotificationFailed,
    NotificationSent,
    NotificationSuppressed,
    derive_event_id,
)
from pathwise_runtime import outbox

UNKNOWN_AFTER_CRASH = "outcome unknown after a crash; settling with the provider"
NO_LONGER_PLANNED = "no longer planned (guardian not reachable any more); not retried"


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
        await outbox.add_events(conn, [wrap(event, event_id, target, source)])


def _logged_reason(reason: str) -> Any:
    # A scheduled summary, or a fact waiting for others of its family to travel with,
    # waits like a digest does: no message yet, one later.
    return "digest" if reason in ("scheduled", "coalesce") else reason


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
        await outbox.add_events(conn, [wrap(event, event_id, target, source)])


async def record_sent(
    pool: asyncpg.Pool,
    targets: Target | list[Target],
    template: str,
    source: str,
    *,
    provider_id: str | None = None,
    unclaimed: bool = False,
) -> bool:
    """The server took the mail (one, or a digest of several): table and log, together.

    A row already closed as 'unknown' is corrected to 'sent' too: the truth
    arrived late, and the log's later event supersedes the earlier guess.
    ``unclaimed``: only if no other notification records this provider id (a
    lookup that matched a message by its text must not take another's); False
    when one does.
    """
    many = targets if isinstance(targets, list) else [targets]
    envelopes = [
        wrap(
            NotificationSent(**t.fields(), template=template),
            uuid.UUID(t.notification_id),
            t,
            source,
        )
        for t in many
    ]
    ids = [uuid.UUID(t.notification_id) for t in many]
    async with pool.acquire() as conn, conn.transaction():
        if provider_id is not None:
            await sms_reports.lock_provider_message(conn, provider_id)
            if unclaimed and await conn.fetchval(
                """SELECT count(*) FROM deliveries
                    WHERE provider_id = $1 AND NOT notification_id = ANY($2::uuid[])""",
                provider_id,
                ids,
            ):
                return False
        await conn.execute(
            """UPDATE deliveries SET state = 'sent', last_error = NULL, updated_at = now(),
                                     provider_id = coalesce($2, provider_id)
                WHERE notification_id = ANY($1::uuid[]) AND state IN ('sending', 'unknown')""",
            ids,
            provider_id,
        )
        if provider_id is not None:
            envelopes += await sms_reports.reports_so_far(conn, provider_id, many, source)
        await outbox.add_events(conn, envelopes)
    return True


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
        await outbox.add_events(conn, [failure(target, attempt, text, final, source)])
    return True


async def begin_send(pool: asyncpg.Pool, notification_id: str) -> bool:
    """Commit 'sending' right before the mail goes out; False if the claim was lost."""
    return bool(await begin_send_many(pool, [notification_id]))


async def begin_send_many(
    pool: asyncpg.Pool,
    notification_ids: list[str],
    *,
    ref: str | None = None,
    template: str | None = None,
    now: datetime | None = None,
    body: str | None = None,
) -> set[str]:
    """Commit 'sending' for one message's notifications; returns those still claimed.

    The message's reference (what the provider is told), its template, the
    time its request goes out and (texts) its body are kept, so a send whose
    outcome becomes unknown can be looked up and recorded later.
    """
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """UPDATE deliveries SET state = 'sending', updated_at = now(),
                                     message_ref = coalesce($2::uuid, message_ref),
                                     template = coalesce($3, template), sending_at = $4,
                                     body = coalesce($5, body)
                WHERE notification_id = ANY($1::uuid[]) AND state = 'claimed'
            RETURNING notification_id""",
            [uuid.UUID(str(n)) for n in notification_ids],
            ref,
            template,
            now or datetime.now(UTC),
            body,
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


async def close_interrupted(
    pool: asyncpg.Pool, source: str, older_than: timedelta, now: datetime | None = None
) -> int:
    """Close 'sending' rows nobody finished (a crash) as 'unknown', without resending.

    Only rows older than any send can take are touched, so a replica starting
    next to one that is mid-send does not close that send under it. The
    reconciler settles them; the event says so (not final).
    """
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            """UPDATE deliveries SET state = 'unknown', last_error = $2, updated_at = now(),
                                     unknown_since = coalesce(unknown_since, $3)
                WHERE notification_id IN (
                      SELECT notification_id FROM deliveries
                       WHERE state = 'sending' AND updated_at < now() - $1::interval
                         FOR UPDATE SKIP LOCKED)
            RETURNING notification_id, attempts, student_id, district_id, guardian_id, channel,
                      cause_event_id,
                      (SELECT n.audience FROM notifications n
                        WHERE n.notification_id = deliveries.notification_id
                          AND n.district_id = deliveries.district_id) AS audience""",
            older_than,
            UNKNOWN_AFTER_CRASH,
            now or datetime.now(UTC),
        )
        await outbox.add_events(
            conn,
            [
                failure(Target.of(r), r["attempts"], UNKNOWN_AFTER_CRASH, False, source, "unknown")
                for r in rows
            ],
        )
    return len(rows)


def failure(
    target: Target, attempt: int, error: str, final: bool, source: str, step: str = ""
) -> Envelope:
    """The log's failure event; ``step`` tells apart those one attempt can have
    (unknown, sent again, given up), so none is taken for a repeat of another."""
    event = NotificationFailed(**target.fields(), attempt=attempt, error=error, final=final)
    parts = [str(attempt), step] if step else [str(attempt)]
    event_id = derive_event_id(target.notification_id, "failed", *parts)
    return wrap(event, event_id, target, source)
