"""The sender's clock decides: quiet hours hold then deliver, digests batch, off suppresses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import pytest

from notify_svc.adapters.clock import ManualClock
from notify_svc.adapters.unsubscribe_links import Subscription, verify
from notify_svc.projections import DeliveryLogProjection, PlanningProjection
from notify_svc.settings import NotifySettings
from notify_svc.workers.sender import Sender
from pathwise_contracts import (
    Envelope,
    NotificationScheduled,
    NotificationSent,
    NotificationSuppressed,
    derive_event_id,
)
from pathwise_devstack.smtp_sink import SmtpSink
from pathwise_runtime.applier import BatchApplier

pytestmark = pytest.mark.integration

S = "s-1"
CHICAGO = "America/Chicago"
# 22:30 in Chicago (CDT, UTC-5) on the evening of the facts.
LATE_EVENING = datetime(2026, 9, 15, 3, 30, tzinfo=UTC)

Plan = Callable[..., Awaitable[None]]
KEY = b"u" * 32


@pytest.fixture
def plan(
    pool: tuple[str, asyncpg.Pool], kafka_bootstrap: str, log: Any, support: ModuleType
) -> Plan:
    """A consenting guardian with the given schedule, then ``facts`` mastered competencies."""
    _, db = pool
    applier = BatchApplier(PlanningProjection(), db, kafka_bootstrap)
    t0, hour = support.T0, support.HOUR

    async def apply(facts: int = 1, **schedule: Any) -> None:
        await applier.apply(
            [
                log.record(support.linked(S, "g-1"), time=t0 - 2 * hour),
                log.record(support.scheduled(S, "g-1", **schedule), time=t0 - hour),
            ]
        )
        await applier.apply(
            [
                log.record(support.mastered(S, f"C.{i}"), time=t0 + i * timedelta(minutes=1))
                for i in range(facts)
            ]
        )

    return apply


def make_sender(
    db: asyncpg.Pool,
    dsn: str,
    port: int,
    clock: ManualClock,
    keyring: Any,
    batch_size: int = 50,
    unsubscribe_key: bytes | None = None,
    coalesce_s: float = 0,
) -> Sender:
    settings = NotifySettings(
        coalesce_window_s=coalesce_s, smtp_host="127.0.0.1", smtp_port=port, batch_size=batch_size
    )
    return Sender(
        db,
        dsn,
        settings=settings,
        keyring=keyring,
        source="urn:t",
        clock=clock,
        unsubscribe_key=unsubscribe_key,
    )


async def events(db: asyncpg.Pool) -> list[Envelope]:
    rows = await db.fetch("SELECT payload FROM pathwise_outbox ORDER BY seq")
    return [Envelope.from_bytes(bytes(r["payload"])) for r in rows]


async def test_quiet_hours_hold_the_message_then_deliver_it_after(
    pool: tuple[str, asyncpg.Pool],
    kafka_bootstrap: str,
    log: Any,
    tmp_path: Path,
    plan: Plan,
    support: ModuleType,
) -> None:
    dsn, db = pool
    await plan(time_zone=CHICAGO, quiet=("21:00", "07:00"))
    clock = ManualClock(LATE_EVENING)
    with SmtpSink(tmp_path / "mailbox.jsonl") as sink:
        sender = make_sender(db, dsn, sink.port, clock, support.KEYRING)
        assert await sender.run_once() == 1
        assert sink.messages == []
        held = await db.fetchrow("SELECT state, hold_reason, next_attempt_at FROM deliveries")
        assert (held["state"], held["hold_reason"]) == ("held", "quiet_hours")
        assert held["next_attempt_at"] == datetime(2026, 9, 15, 12, 0, tzinfo=UTC)  # 07:00 CDT
        clock.advance(timedelta(hours=8, minutes=29))  # 06:59 local: still quiet
        assert await sender.run_once() == 0
        clock.advance(timedelta(minutes=1))
        assert await sender.run_once() == 1
        assert len(sink.messages) == 1
    outcome = await events(db)
    kinds = [type(e.event()).__name__ for e in outcome]
    # Scheduled once (not again when the hold ends), held, then sent.
    assert kinds == ["NotificationScheduled", "NotificationSuppressed", "NotificationSent"]
    scheduled, suppressed = outcome[0].event(), outcome[1].event()
    assert isinstance(scheduled, NotificationScheduled)
    assert (scheduled.cause, scheduled.language) == ("competency_mastered", "en")
    assert outcome[0].id == derive_event_id(str(scheduled.notification_id), "scheduled")
    assert isinstance(suppressed, NotificationSuppressed) and suppressed.reason == "quiet_hours"
    # The delivery log shows the plan, the hold as provisional and the send as the outcome.
    applier = BatchApplier(DeliveryLogProjection(), db, kafka_bootstrap)
    await applier.apply([log.wrap(outcome[0])])
    row = await db.fetchrow("SELECT status, final, cause, language FROM delivery_log")
    assert tuple(row) == ("scheduled", False, "competency_mastered", "en")
    await applier.apply([log.wrap(outcome[1])])
    assert await db.fetchval("SELECT final FROM delivery_log") is False
    await applier.apply([log.wrap(outcome[2]), log.wrap(outcome[0])])  # a repeat changes nothing
    row = await db.fetchrow("SELECT status, final, cause FROM delivery_log")
    assert tuple(row) == ("sent", True, "competency_mastered")


async def test_a_daily_digest_batches_the_days_facts_into_one_mail_at_six_pm(
    pool: tuple[str, asyncpg.Pool], tmp_path: Path, plan: Plan, support: ModuleType
) -> None:
    dsn, db = pool
    await plan(facts=3, time_zone=CHICAGO, frequency="daily_digest", language="es")
    clock = ManualClock(datetime(2026, 9, 14, 20, 0, tzinfo=UTC))  # 15:00 CDT
    with SmtpSink(tmp_path / "mailbox.jsonl") as sink:
        # Claims smaller than the day's facts: the digest still goes out as one mail.
        sender = make_sender(db, dsn, sink.port, clock, support.KEYRING, batch_size=2)
        while await sender.run_once():
            pass
        assert sink.messages == []
        clock.advance(timedelta(hours=2, minutes=59))
        assert await sender.run_once() == 0
        clock.advance(timedelta(minutes=1))  # 18:00 CDT
        while await sender.run_once():
            pass
        mails = sink.messages
    assert len(mails) == 1
    assert mails[0]["subject"] == "Su resumen diario de Pathwise"
    assert mails[0]["headers"]["X-Pathwise-Template"] == "digest.es"
    sent = [e.event() for e in await events(db) if e.type.endswith("NotificationSent.v1")]
    assert len(sent) == 3
    assert all(isinstance(e, NotificationSent) and e.template == "digest.es" for e in sent)
    assert await db.fetchval("SELECT count(*) FROM deliveries WHERE state = 'sent'") == 3


async def test_a_missing_translation_is_sent_in_english_and_counted(
    pool: tuple[str, asyncpg.Pool], tmp_path: Path, plan: Plan, support: ModuleType
) -> None:
    dsn, db = pool
    await plan(language="so")
    with SmtpSink(tmp_path / "mailbox.jsonl") as sink:
        sender = make_sender(
            db, dsn, sink.port, ManualClock(LATE_EVENING), support.KEYRING, unsubscribe_key=KEY
        )
        assert await sender.run_once() == 1
        (mail,) = sink.messages
    assert mail["subject"] == "Competency mastered: C.0"
    link = mail["headers"]["List-Unsubscribe"]
    assert link.startswith("<http://127.0.0.1:8104/v1/unsubscribe/") and link.endswith(">")
    assert verify(KEY, link[1:-1].rsplit("/", 1)[1]) == Subscription("d1", S, "g-1", "email")
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["headers"]["X-Pathwise-Template"] == "competency_mastered.en"
    assert sender.fallbacks == {"so": 1}


async def test_a_channel_turned_off_is_suppressed_not_sent(
    pool: tuple[str, asyncpg.Pool], tmp_path: Path, plan: Plan, support: ModuleType
) -> None:
    dsn, db = pool
    await plan(frequency="off")
    with SmtpSink(tmp_path / "mailbox.jsonl") as sink:
        sender = make_sender(db, dsn, sink.port, ManualClock(LATE_EVENING), support.KEYRING)
        assert await sender.run_once() == 1
        assert await sender.run_once() == 0
        assert sink.messages == []
    (event,) = [e.event() for e in await events(db) if "Scheduled" not in e.type]
    assert isinstance(event, NotificationSuppressed) and event.reason == "opted_out"


async def test_facts_close_together_become_one_message(
    pool: tuple[str, asyncpg.Pool], tmp_path: Path, plan: Plan, support: ModuleType
) -> None:
    """Three masteries a minute apart, a ten-minute window: one mail that lists all three."""
    dsn, db = pool
    await plan(facts=3)
    clock = ManualClock(support.T0 + timedelta(minutes=3))
    with SmtpSink(tmp_path / "mailbox.jsonl") as sink:
        sender = make_sender(db, dsn, sink.port, clock, support.KEYRING, coalesce_s=600)
        assert await sender.run_once() == 3
        assert sink.messages == []
        held = await db.fetch("SELECT state, hold_reason, next_attempt_at FROM deliveries")
        assert {(r["state"], r["hold_reason"]) for r in held} == {("held", "coalesce")}
        # One window for the family: from the first message's plan, ten minutes.
        first = await db.fetchval("SELECT min(planned_at) FROM notifications")
        closes = first + timedelta(minutes=10)
        assert {r["next_attempt_at"] for r in held} == {closes}
        clock.advance(closes - clock() - timedelta(seconds=1))
        assert await sender.run_once() == 0
        clock.advance(timedelta(seconds=1))
        assert await sender.run_once() == 3
        mails = sink.messages
    assert len(mails) == 1
    assert mails[0]["subject"] == "3 updates from Pathwise"
    assert mails[0]["headers"]["X-Pathwise-Template"] == "coalesced.en"
    assert all(f"C.{i}" in mails[0]["text"] for i in range(3))
    assert await db.fetchval("SELECT count(*) FROM deliveries WHERE state = 'sent'") == 3


async def test_windows_opened_apart_by_racing_senders_still_close_as_one_message(
    pool: tuple[str, asyncpg.Pool], tmp_path: Path, plan: Plan, support: ModuleType
) -> None:
    """Two sender loops that claim two facts of one family at once each open a window, a
    moment apart; when the first closes, both facts leave together in one mail."""
    dsn, db = pool
    await plan(facts=2)
    clock = ManualClock(support.T0 + timedelta(minutes=2))
    with SmtpSink(tmp_path / "mailbox.jsonl") as sink:
        sender = make_sender(db, dsn, sink.port, clock, support.KEYRING, coalesce_s=600)
        assert await sender.run_once() == 2
        # What racing loops leave behind: the second fact's window ends a moment later.
        await db.execute(
            """UPDATE deliveries SET next_attempt_at = next_attempt_at + interval '1 second'
                WHERE notification_id = (SELECT notification_id FROM notifications
                                          ORDER BY planned_at DESC LIMIT 1)"""
        )
        first = await db.fetchval("SELECT min(next_attempt_at) FROM deliveries")
        clock.advance(first - clock())
        assert await sender.run_once() == 2
        mails = sink.messages
    assert len(mails) == 1
    assert mails[0]["subject"] == "2 updates from Pathwise"
    assert await db.fetchval("SELECT count(*) FROM deliveries WHERE state = 'sent'") == 2
