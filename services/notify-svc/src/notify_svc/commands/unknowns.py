"""Bookkeeping for sends whose outcome is unknown: marking them, and settling them.

A row is 'unknown' when its request went out but no answer came (timeout,
dropped connection) or a crash cut the send short. The reconciler settles it
from the provider's answer: recorded 'sent' (``deliveries.record_sent``), put
back in the queue once to be sent again through the normal path, or failed
for good. Each change goes with its event, in one transaction, and only from
'unknown', so two reconcilers (or a late delivery report) cannot both act.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from notify_svc.commands.deliveries import failure, record_sent
from notify_svc.commands.targets import Target
from notify_svc.domain.redaction import scrub
from pathwise_contracts import derive_event_id
from pathwise_runtime import outbox


def message_ref(notification_ids: list[str]) -> str:
    """The reference one message carries (its Message-ID, its SMS client reference):
    the notification's id, or for a digest one derived from all of them, so a resend
    of the same notifications carries the same reference."""
    if len(notification_ids) == 1:
        return str(notification_ids[0])
    return str(derive_event_id("digest", *sorted(map(str, notification_ids))))


def reference_of(notification_ids: list[str], resent_refs: list[str | None]) -> str:
    """The reference for sending these: the one they went out under before when all of
    them are being sent again together, else ``message_ref`` of them."""
    if resent_refs and resent_refs[0] is not None and len(set(resent_refs)) == 1:
        return resent_refs[0]
    return message_ref(notification_ids)


@dataclass(frozen=True, slots=True)
class Unknown:
    """One message whose outcome is unknown, with the rows of the notifications it carried."""

    ref: str
    channel: str
    targets: list[Target]
    attempt: int
    template: str | None
    sending_at: datetime | None
    unknown_since: datetime
    resends: int
    body: str | None = None  # a text as it went out (the provider is asked with it)

    @property
    def ids(self) -> list[str]:
        return [t.notification_id for t in self.targets]


async def record_unknown(
    pool: asyncpg.Pool,
    targets: list[Target],
    attempt: int,
    error: str,
    source: str,
    *,
    now: datetime | None = None,
) -> None:
    """The request went out and no answer came: 'unknown', not failed, and not resent."""
    text = scrub(error)
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            """UPDATE deliveries SET state = 'unknown', last_error = $2, updated_at = now(),
                                     unknown_since = coalesce(unknown_since, $3)
                WHERE notification_id = ANY($1::uuid[]) AND state = 'sending'
            RETURNING notification_id""",
            [uuid.UUID(t.notification_id) for t in targets],
            text,
            now or datetime.now(UTC),
        )
        changed = {str(r["notification_id"]) for r in rows}
        await outbox.add_events(
            conn,
            [
                failure(t, attempt, text, False, source, "unknown")
                for t in targets
                if t.notification_id in changed
            ],
        )


# A page of messages (by reference, after ``$3``), each with all its unknown rows, so
# a digest is never split across pages.
_PENDING = """
    WITH refs AS (
        SELECT DISTINCT coalesce(message_ref, notification_id) AS ref FROM deliveries
         WHERE state = 'unknown'
           AND ($2::uuid IS NULL OR coalesce(message_ref, notification_id) = $2)
           AND ($3::uuid IS NULL OR coalesce(message_ref, notification_id) > $3)
         ORDER BY 1
         LIMIT $1)
    SELECT d.notification_id, d.student_id, d.district_id, d.guardian_id, d.channel,
           d.cause_event_id, d.attempts, d.template, d.sending_at, d.resends, d.body,
           coalesce(d.unknown_since, d.updated_at) AS unknown_since, refs.ref,
           (SELECT n.audience FROM notifications n
             WHERE n.notification_id = d.notification_id
               AND n.district_id = d.district_id) AS audience
      FROM refs JOIN deliveries d ON coalesce(d.message_ref, d.notification_id) = refs.ref
     WHERE d.state = 'unknown'
     ORDER BY refs.ref, d.notification_id
"""


async def pending(
    pool: asyncpg.Pool, limit: int, ref: str | None = None, *, after: str | None = None
) -> list[Unknown]:
    """Up to ``limit`` unknown messages by reference (after ``after``), or the one
    ``ref`` names; a digest's rows come together as one message."""
    rows = await pool.fetch(
        _PENDING, limit, uuid.UUID(ref) if ref else None, uuid.UUID(after) if after else None
    )
    groups: dict[str, list[asyncpg.Record]] = {}
    for r in rows:
        groups.setdefault(str(r["ref"]), []).append(r)
    return [
        Unknown(
            ref=ref,
            channel=rs[0]["channel"],
            targets=[Target.of(r) for r in rs],
            attempt=max(r["attempts"] for r in rs),
            template=next((r["template"] for r in rs if r["template"]), None),
            sending_at=min((r["sending_at"] for r in rs if r["sending_at"]), default=None),
            unknown_since=min(r["unknown_since"] for r in rs),
            resends=max(r["resends"] for r in rs),
            body=next((r["body"] for r in rs if r["body"]), None),
        )
        for ref, rs in groups.items()
    ]


async def resend(
    pool: asyncpg.Pool, unknown: Unknown, reason: str, source: str, *, now: datetime
) -> int:
    """Back in the queue, due now, to be sent again (same reference) by the normal path."""
    return await _close(pool, unknown, reason, source, now=now, final=False)


async def give_up(
    pool: asyncpg.Pool, unknown: Unknown, reason: str, source: str, *, now: datetime
) -> int:
    """Failed for good: no answer settled it in time; an operator sees it on the log."""
    return await _close(pool, unknown, reason, source, now=now, final=True)


async def _close(
    pool: asyncpg.Pool, unknown: Unknown, reason: str, source: str, *, now: datetime, final: bool
) -> int:
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            """UPDATE deliveries
                  SET state = $2, last_error = $3, updated_at = now(),
                      next_attempt_at = CASE WHEN $4 THEN NULL ELSE $5::timestamptz END,
                      resends = resends + CASE WHEN $4 THEN 0 ELSE 1 END
                WHERE notification_id = ANY($1::uuid[]) AND state = 'unknown'
            RETURNING notification_id""",
            [uuid.UUID(n) for n in unknown.ids],
            "dead" if final else "failed",
            reason,
            final,
            now,
        )
        changed = {str(r["notification_id"]) for r in rows}
        step = "gave-up" if final else f"resend-{unknown.resends + 1}"
        await outbox.add_events(
            conn,
            [
                failure(t, unknown.attempt, reason, final, source, step)
                for t in unknown.targets
                if t.notification_id in changed
            ],
        )
    return len(changed)


async def reported(pool: asyncpg.Pool, ref: str) -> Unknown | None:
    """The unknown message a provider's report names by its reference, if any."""
    try:
        key = str(uuid.UUID(ref))
    except ValueError:
        return None
    found = await pending(pool, 1_000, key)
    return found[0] if found else None


async def settle_reported(pool: asyncpg.Pool, ref: str, provider_id: str, source: str) -> bool:
    """A delivery report names an unknown message's reference: the provider has it."""
    unknown = await reported(pool, ref)
    if unknown is None:
        return False
    template = unknown.template or f"{unknown.channel}.unrecorded"
    await record_sent(pool, unknown.targets, template, source, provider_id=provider_id)
    return True
