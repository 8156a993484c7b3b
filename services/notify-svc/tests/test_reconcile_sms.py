"""Exactly once with a real SMS API: timeouts after the provider took the text, and crashes.

Texts go through the Twilio and Vonage adapters to the development sink, behind
a transport that plays the network's faults on each message's first request:
the provider takes it and the answer is lost (a timeout or a dropped
connection), the request is lost before the provider has it, the connection is
refused, or the sender "crashes" (an exception nothing catches) just before or
just after the request. Restarting and settling, with the sender's clock moved
on, must leave every family with exactly one text and every delivery 'sent'.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import asyncpg
import httpx
import pytest

from notify_svc.adapters.clock import ManualClock
from notify_svc.adapters.sms import (
    Accepted,
    FakeSms,
    Sms,
    SmsFailed,
    SmsProvider,
    TwilioCredentials,
    TwilioSms,
    VonageCredentials,
    VonageSms,
)
from notify_svc.commands import deliveries, unknowns
from notify_svc.projections import PlanningProjection
from notify_svc.settings import NotifySettings
from notify_svc.workers.sender import Sender
from pathwise_contracts import Channel, Envelope, GuardianLinked, NotificationFailed
from pathwise_devstack.ports import free_port
from pathwise_devstack.sms_sink import SmsSink
from pathwise_runtime.applier import BatchApplier

pytestmark = pytest.mark.integration

SOURCE = "urn:pathwise:notify-svc"
GRACE = timedelta(seconds=30)


class Crash(BaseException):
    """The sender process dying: nothing in it catches this."""


class Faulty(httpx.AsyncBaseTransport):
    """Plays one fault on the first request of each message (by its reference)."""

    def __init__(self, modes: Iterator[str]) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._modes = modes
        self.first: dict[str, str] = {}  # reference -> the fault its first request met

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return await self._inner.handle_async_request(request)
        form = dict(parse_qsl((await request.aread()).decode()))
        callback = parse_qs(urlsplit(form.get("StatusCallback", "")).query)
        ref = form.get("client-ref") or callback.get("ref", [""])[0]
        if not ref or ref in self.first:
            return await self._inner.handle_async_request(request)
        mode = self.first[ref] = next(self._modes)
        if mode == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if mode == "lost":  # written, but the provider never got it
            raise httpx.ReadTimeout("timed out", request=request)
        if mode == "crash_before":
            raise Crash
        answer = await self._inner.handle_async_request(request)
        await answer.aread()
        if mode == "timeout":  # the provider took it; its answer never came back
            raise httpx.ReadTimeout("timed out", request=request)
        if mode == "dropped":
            raise httpx.RemoteProtocolError("server disconnected", request=request)
        if mode == "crash_after":
            raise Crash
        return answer

    async def aclose(self) -> None:
        """The adapters close their client after each request; the transport stays open."""

    async def shut(self) -> None:
        await self._inner.aclose()


def phone(n: int) -> str:
    return f"+1555{n:07d}"


async def _plan(db: asyncpg.Pool, kafka: str, log: Any, support: ModuleType, count: int) -> None:
    now = datetime.now(UTC)
    records = []
    for n in range(count):
        student, guardian = f"s-{n}", f"g-{n}"
        link = GuardianLinked(
            student_id=student,
            guardian_id=guardian,
            relationship="mother",
            educational_rights=True,
            language="en",
            phone=support.KEYRING.encrypt(guardian, phone(n)),
            consent={Channel.EMAIL: False, Channel.SMS: True},
        )
        records.append(log.record(link, time=now - timedelta(minutes=10)))
        records.append(log.record(support.mastered(student), time=now - timedelta(minutes=1)))
    await BatchApplier(PlanningProjection(), db, kafka).apply(records)


def _adapter(provider: str, sink: SmsSink, transport: Faulty) -> SmsProvider:
    if provider == "vonage":
        keys = VonageCredentials(sink.account_sid, sink.auth_token, "+15550100")
        return VonageSms(sink.url, keys, transport=transport, timeout_s=30)
    twilio = TwilioCredentials(sink.account_sid, sink.auth_token, "+15550100")
    return TwilioSms(sink.url, twilio, transport=transport, timeout_s=30)


async def _settle(db: asyncpg.Pool, sender: Sender, clock: ManualClock, planned: int) -> int:
    """Send, restart after a crash, settle, move the clock on; until all is sent."""
    for rounds in itertools.count(1):
        assert rounds <= 200, "deliveries did not settle"
        try:
            await sender.run_once()
        except Crash:
            await sender.recover(older_than=timedelta(0))  # the restarted sender
        await sender.reconcile_once()
        sent = await db.fetchval("SELECT count(*) FROM deliveries WHERE state = 'sent'")
        if sent == planned:
            return rounds
        clock.advance(GRACE + timedelta(seconds=1))
    raise AssertionError


@pytest.mark.parametrize(
    ("provider", "faults", "batch"),
    [
        ("twilio", ["timeout"] * 10 + ["dropped"] * 10 + ["lost"] * 6 + ["refused"] * 4, 50),
        ("vonage", ["timeout"] * 10 + ["dropped"] * 10 + ["lost"] * 6 + ["refused"] * 4, 50),
        ("twilio", ["crash_after"] * 20 + ["crash_before"] * 6, 1),
        ("vonage", ["crash_after"] * 20 + ["crash_before"] * 6, 1),
    ],
    ids=["twilio-timeouts", "vonage-timeouts", "twilio-crashes", "vonage-crashes"],
)
async def test_every_family_gets_one_text_whatever_the_network_does(
    pool: tuple[str, asyncpg.Pool],
    kafka_bootstrap: str,
    log: Any,
    support: ModuleType,
    tmp_path: Path,
    provider: str,
    faults: list[str],
    batch: int,
) -> None:
    dsn, db = pool
    await _plan(db, kafka_bootstrap, log, support, len(faults))
    clock = ManualClock(datetime.now(UTC))
    settings = NotifySettings(
        coalesce_window_s=0,
        smtp_port=1,
        batch_size=batch,
        retry_base_s=1,
        retry_cap_s=1,
        reconcile_grace_s=GRACE.total_seconds(),
        public_url=f"http://127.0.0.1:{free_port()}",  # delivery reports go nowhere
        sms_provider=provider,
    )
    transport = Faulty(iter(faults))
    with SmsSink(tmp_path / "sms.jsonl", clock=clock) as sink:
        sender = Sender(
            db,
            dsn,
            settings=settings,
            keyring=support.KEYRING,
            source=SOURCE,
            sms=_adapter(provider, sink, transport),
            unsubscribe_key=b"u" * 32,
            clock=clock,
        )
        try:
            rounds = await _settle(db, sender, clock, len(faults))
        finally:
            await transport.shut()
        texts = sink.messages

    met = Counter(transport.first.values())
    assert met == Counter(faults)  # every message met its fault
    per_family = Counter(t["to"] for t in texts)
    duplicates = sum(c - 1 for c in per_family.values())
    lost = len(faults) - len(per_family)
    assert (duplicates, lost) == (0, 0)
    rows = await db.fetch("SELECT state, provider_id, resends FROM deliveries")
    assert {r["state"] for r in rows} == {"sent"}
    assert {r["provider_id"] for r in rows} == {t["sid"] for t in texts}
    never_got = sum(met[f] for f in ("lost", "crash_before"))
    assert sum(r["resends"] for r in rows) == never_got  # only those were sent again
    payloads = await db.fetch("SELECT payload FROM pathwise_outbox")
    types = Counter(Envelope.from_bytes(bytes(p["payload"])).type for p in payloads)
    assert sum(c for t, c in types.items() if t.endswith("NotificationSent.v1")) == len(faults)
    print(
        f"\n{provider}: {len(faults)} texts, faults {dict(met)}: "
        f"{duplicates} duplicates, {lost} lost, {rounds} rounds"
    )


class Unreachable(FakeSms):
    """A provider that takes texts but cannot be asked about them."""

    async def lookup(self, sms: Sms, since: datetime) -> list[Accepted]:
        raise SmsFailed("lookup failed (ConnectError)", permanent=False)


async def test_an_unknown_text_is_settled_by_a_report_or_failed_at_the_deadline(
    pool: tuple[str, asyncpg.Pool], kafka_bootstrap: str, log: Any, support: ModuleType
) -> None:
    dsn, db = pool
    await _plan(db, kafka_bootstrap, log, support, 2)
    clock = ManualClock(datetime.now(UTC))
    settings = NotifySettings(coalesce_window_s=0, smtp_port=1, reconcile_give_up_s=600)
    sender = Sender(
        db,
        dsn,
        settings=settings,
        keyring=support.KEYRING,
        source=SOURCE,
        sms=Unreachable(),
        unsubscribe_key=b"u" * 32,
        clock=clock,
    )
    await sender.run_once()
    await db.execute("UPDATE deliveries SET state = 'sending'")  # then the sender died
    await sender.recover(older_than=timedelta(0))
    reported, silent = [
        str(n) for n in await db.fetchval("SELECT array_agg(message_ref) FROM deliveries")
    ]

    # A delivery report naming one's reference settles it at once.
    assert await unknowns.settle_reported(db, reported, "SM-late", SOURCE)
    assert not await unknowns.settle_reported(db, reported, "SM-late", SOURCE)  # once
    # A text matched by a lookup is never taken from the notification that records it.
    (other,) = await unknowns.pending(db, 10, silent)
    taken = await deliveries.record_sent(
        db, other.targets, "sms.x", SOURCE, provider_id="SM-late", unclaimed=True
    )
    assert not taken

    clock.advance(timedelta(seconds=599))
    assert await sender.reconcile_once() == Counter({"wait": 1})
    clock.advance(timedelta(seconds=1))
    assert await sender.reconcile_once() == Counter({"give_up": 1})
    rows = {
        str(r["message_ref"]): (r["state"], r["provider_id"], r["last_error"])
        for r in await db.fetch(
            "SELECT message_ref, state, provider_id, last_error FROM deliveries"
        )
    }
    assert rows[reported][:2] == ("sent", "SM-late")
    assert rows[silent][0] == "dead" and "could not be asked" in rows[silent][2]
    payloads = await db.fetch("SELECT payload FROM pathwise_outbox ORDER BY seq")
    events = [Envelope.from_bytes(bytes(p["payload"])).event() for p in payloads]
    failed = [e for e in events if isinstance(e, NotificationFailed)]
    assert [(str(e.notification_id), e.final) for e in failed][-1] == (silent, True)
    assert await sender.reconcile_once() == Counter()  # nothing left to settle
