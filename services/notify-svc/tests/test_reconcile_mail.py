"""Exactly once with a real SMTP relay: answers lost after the relay took the mail, and crashes.

A relay that plays faults on each mail's first delivery: it takes the mail and
then hangs past the sender's timeout or drops the connection, or drops it
before taking the mail; or the sender "crashes" just before or just after
handing the mail over. With a relay lookup (the development sink's
``/messages``) every mail arrives exactly once; without one, a mail whose
outcome is unknown is sent again with the same Message-ID, so a family's
mailbox, which de-duplicates by it, still shows it once.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from notify_svc.adapters.clock import ManualClock
from notify_svc.projections import PlanningProjection
from notify_svc.settings import NotifySettings
from notify_svc.workers import sender as sender_module
from notify_svc.workers.sender import Sender
from pathwise_devstack import smtp_sink
from pathwise_devstack.smtp_sink import SmtpSink
from pathwise_runtime.applier import BatchApplier

pytestmark = pytest.mark.integration

SOURCE = "urn:pathwise:notify-svc"
GRACE = timedelta(seconds=30)
TIMEOUT_S = 1.0  # how long the sender waits for the relay (the hang outlasts it)


class Crash(BaseException):
    """The sender process dying: nothing in it catches this."""


class FaultyRelay(SmtpSink):
    """The development sink, playing one fault on each Message-ID's first delivery."""

    def __init__(self, mailbox: Path, modes: Iterator[str]) -> None:
        super().__init__(mailbox)
        self.modes = modes
        self.first: dict[str, str] = {}

    def _serve(self) -> None:
        self._controller = Controller(_Faults(self), hostname=self.host, port=self.port)
        self._controller.start()
        self._web.start()


class _Faults:
    def __init__(self, relay: FaultyRelay) -> None:
        self._relay = relay
        self._record = smtp_sink._Recorder(relay._records)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        headers = BytesParser().parsebytes(raw if isinstance(raw, bytes) else raw.encode())
        message_id = str(headers["Message-ID"])
        mode = "ok"
        if message_id not in self._relay.first:
            mode = self._relay.first[message_id] = next(self._relay.modes)
        if mode == "lost":  # the connection drops before the relay has the mail
            assert server.transport is not None
            server.transport.abort()
            return "451 gone"
        answer = await self._record.handle_DATA(server, session, envelope)
        if mode == "hang":  # taken, but the answer comes after the sender gave up
            await asyncio.sleep(TIMEOUT_S * 3)
        elif mode == "dropped":
            assert server.transport is not None
            server.transport.abort()
        return answer


async def _plan(db: asyncpg.Pool, kafka: str, log: Any, support: ModuleType, count: int) -> None:
    now = datetime.now(UTC)
    records = []
    for n in range(count):
        student, guardian = f"s-{n}", f"g-{n}"
        link = support.linked(student, guardian, email=f"{guardian}@example.org")
        records.append(log.record(link, time=now - timedelta(minutes=10)))
        records.append(log.record(support.mastered(student), time=now - timedelta(minutes=1)))
    await BatchApplier(PlanningProjection(), db, kafka).apply(records)


async def _settle(
    db: asyncpg.Pool, sender: Sender, clock: ManualClock, planned: int, idle: asyncio.Event
) -> int:
    """Send, restart after a crash, settle, move the clock on; until all is sent.

    A crash leaves the batch's other mails to finish first (``idle``): here only
    the crashed one is cut short, and a restart only closes what nobody sends.
    """
    for rounds in itertools.count(1):
        assert rounds <= 200, "deliveries did not settle"
        try:
            await sender.run_once()
        except Crash:
            await asyncio.wait_for(idle.wait(), timeout=120)
            await sender.recover(older_than=timedelta(0))  # the restarted sender
        await sender.reconcile_once()
        sent = await db.fetchval("SELECT count(*) FROM deliveries WHERE state = 'sent'")
        if sent == planned:
            return rounds
        clock.advance(GRACE + timedelta(seconds=1))
    raise AssertionError


TIMEOUTS = ["hang"] * 10 + ["dropped"] * 10 + ["lost"] * 6
CRASHES = ["crash_after"] * 20 + ["crash_before"] * 6


@pytest.mark.parametrize("lookup", [True, False], ids=["relay-lookup", "same-message-id"])
@pytest.mark.parametrize("faults", [TIMEOUTS, CRASHES], ids=["timeouts", "crashes"])
async def test_every_family_gets_one_mail_whatever_the_relay_does(
    pool: tuple[str, asyncpg.Pool],
    kafka_bootstrap: str,
    log: Any,
    support: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    faults: list[str],
    lookup: bool,
) -> None:
    dsn, db = pool
    await _plan(db, kafka_bootstrap, log, support, len(faults))
    clock = ManualClock(datetime.now(UTC))
    crashes = faults is CRASHES
    relay_faults = iter(["ok"] * len(faults)) if crashes else iter(faults)
    crashed: dict[str, str] = {}
    modes = iter(faults)
    deliver = sender_module.deliver

    async def crashing(message: EmailMessage, settings: NotifySettings, *kept: Any) -> None:
        message_id = str(message["Message-ID"])
        mode = "ok" if message_id in crashed else next(modes)
        crashed.setdefault(message_id, mode)
        if mode == "crash_before":
            raise Crash
        await deliver(message, settings, *kept)
        if mode == "crash_after":
            raise Crash

    idle, busy = asyncio.Event(), Counter[str]()
    attempt = Sender._attempt

    async def counted(self: Sender, jobs: Any) -> None:
        busy["sends"] += 1
        idle.clear()
        try:
            await attempt(self, jobs)
        finally:
            busy["sends"] -= 1
            if not busy["sends"]:
                idle.set()

    monkeypatch.setattr(Sender, "_attempt", counted)
    if crashes:
        monkeypatch.setattr(sender_module, "deliver", crashing)
    with FaultyRelay(tmp_path / "mailbox.jsonl", relay_faults) as relay:
        settings = NotifySettings(
            coalesce_window_s=0,
            smtp_port=relay.port,
            smtp_timeout_s=TIMEOUT_S,
            batch_size=1 if crashes else 50,
            concurrency=50,
            retry_base_s=1,
            retry_cap_s=1,
            reconcile_grace_s=GRACE.total_seconds(),
            smtp_lookup_url=f"{relay.web_url}/messages" if lookup else None,
        )
        sender = Sender(
            db, dsn, settings=settings, keyring=support.KEYRING, source=SOURCE, clock=clock
        )
        rounds = await _settle(db, sender, clock, len(faults), idle)
        mails = relay.messages

    met = Counter(crashed.values() if crashes else relay.first.values())
    assert met == Counter(faults)  # every mail met its fault
    planned = await db.fetch("SELECT notification_id FROM notifications")
    expected = {f"<{r['notification_id']}@pathwise>" for r in planned}
    copies = Counter(m["message_id"] for m in mails)
    assert set(copies) == expected  # none lost: every notification's Message-ID arrived
    never_got = met["lost"] + met["crash_before"]
    extra = sum(c - 1 for c in copies.values())
    if lookup:
        assert extra == 0  # the relay was asked: nothing was handed over twice
    else:  # handed over again under the same Message-ID, which mailboxes keep once
        assert extra == len(faults) - never_got
    rows = await db.fetch("SELECT state, resends FROM deliveries")
    assert {r["state"] for r in rows} == {"sent"}
    assert sum(r["resends"] for r in rows) == (never_got if lookup else len(faults))
    print(
        f"\nmail ({'relay lookup' if lookup else 'same Message-ID'}): {len(faults)} mails, "
        f"faults {dict(met)}: 0 lost, {extra} second copies with the same Message-ID, "
        f"{rounds} rounds"
    )
