"""SMS delivery reports: what a provider says became of a text after it took it.

A report may arrive before the send is recorded; it is kept by (provider id,
status) and published when the send is. Recording a message's send and its
reports is serialised per provider message.
"""

from __future__ import annotations

import asyncpg

from notify_svc.commands.targets import Target, wrap
from notify_svc.domain.delivery_status import outcome
from pathwise_contracts import Envelope, NotificationDeliveryReported, derive_event_id
from pathwise_runtime import outbox


async def lock_provider_message(conn: asyncpg.Connection, provider_id: str) -> None:
    """Serialise recording a provider message's send and its delivery reports: otherwise a
    report arriving while the send is being recorded sees neither the send nor is seen."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", provider_id)


async def reports_so_far(
    conn: asyncpg.Connection, provider_id: str, targets: list[Target], source: str
) -> list[Envelope]:
    """Reports that beat the send's record: applied to the rows and published now."""
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
    return [report(t, r["provider"], r["status"], source) for r in reports for t in targets]


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
        await lock_provider_message(conn, provider_id)
        await conn.execute(
            """INSERT INTO sms_reports (provider_id, status, provider) VALUES ($1, $2, $3)
               ON CONFLICT DO NOTHING""",
            provider_id,
            status,
            provider,
        )
        rows = await conn.fetch(_REPORTED, provider_id, status)
        if source is not None:
            events = [report(Target.of(r), provider, status, source) for r in rows]
            await outbox.add_events(conn, events)
    return bool(rows)


def report(target: Target, provider: str, status: str, source: str) -> Envelope:
    event = NotificationDeliveryReported(
        **target.fields(), provider=provider, provider_status=status, outcome=outcome(status)
    )
    event_id = derive_event_id(target.notification_id, "delivery-report", status)
    return wrap(event, event_id, target, source)
