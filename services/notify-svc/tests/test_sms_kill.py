"""kill -9 while texting: no family gets a text twice, and none is lost.

The sender runs as a process of its own and is SIGKILLed several times while
hundreds of texts are queued, then restarted. Every notification ends 'sent'
or, if the kill interrupted its request, 'unknown' and never blindly resent.
The reconciler then asks the provider about each unknown one (Twilio's list of
messages To the number): those it has are recorded sent, the others are sent
once more. Counted in the SMS sink: every (guardian, cause) is texted exactly
once, under the provider id its delivery records.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import pytest

from notify_svc.adapters.clock import ManualClock
from notify_svc.adapters.sms import TwilioCredentials, TwilioSms
from notify_svc.commands import deliveries
from notify_svc.domain.sms_text import TEXTS
from notify_svc.projections import PlanningProjection
from notify_svc.settings import NotifySettings
from notify_svc.workers.sender import Sender
from pathwise_contracts import Channel, GuardianLinked
from pathwise_devstack.sms_sink import SmsSink
from pathwise_runtime.applier import BatchApplier

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PROCESS = Path(__file__).with_name("sms_sender_process.py")
STUDENTS = 120  # one texting guardian each, two facts each: 240 texts
KINDS = ("competency_mastered", "support_needed")


def kind_of(body: str) -> str:
    (kind,) = [k for k in KINDS if body.startswith(TEXTS[k]["en"].split("{", 1)[0])]
    return kind


def phone(n: int) -> str:
    return f"+1555{n:07d}"


async def _plan(db: asyncpg.Pool, kafka_bootstrap: str, log: Any, support: ModuleType) -> None:
    now = datetime.now(UTC)
    records = []
    for n in range(STUDENTS):
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
        records.append(log.record(support.mastered(student), time=now - timedelta(minutes=2)))
        records.append(log.record(support.support_needed(student), time=now - timedelta(minutes=1)))
    await BatchApplier(PlanningProjection(), db, kafka_bootstrap).apply(records)


def _start(dsn: str, sink: SmsSink) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(PROCESS), dsn, sink.url, sink.account_sid, sink.auth_token],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def _until(check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the sender")
        await asyncio.sleep(0.02)


async def test_a_sender_killed_mid_send_never_texts_a_family_twice(
    pool: tuple[str, asyncpg.Pool],
    kafka_bootstrap: str,
    log: Any,
    support: ModuleType,
    tmp_path: Path,
) -> None:
    dsn, db = pool
    await _plan(db, kafka_bootstrap, log, support)
    planned = await db.fetchval("SELECT count(*) FROM notifications WHERE channel = 'sms'")
    assert planned == 2 * STUDENTS

    rng = random.Random(9)
    kills = 0
    with SmsSink(tmp_path / "sms.jsonl", latency_s=0.01) as sink:
        # Kill -9 each time the sink has passed the next mark, plus a few random
        # milliseconds, so kills land before, during and after requests.
        for mark in (30, 80, 130, 180):
            proc = _start(dsn, sink)
            try:

                async def reached(m: int = mark) -> bool:
                    return len(sink.messages) >= m

                await _until(reached, timeout=30)
                await asyncio.sleep(rng.uniform(0, 0.02))
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1

        # The last sender finishes the queue: everything is 'sent', or was cut off mid-send.
        proc = _start(dsn, sink)
        try:

            async def drained() -> bool:
                open_ = await db.fetchval(
                    """SELECT count(*) FROM notifications n
                         LEFT JOIN deliveries d USING (notification_id)
                        WHERE d.notification_id IS NULL
                           OR d.state NOT IN ('sent', 'sending', 'unknown')"""
                )
                return int(open_) == 0

            await _until(drained, timeout=45)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()

        async def quiet() -> bool:  # requests the kills left in flight have landed
            return not sink.busy

        await _until(quiet, timeout=30)
        before = len(sink.messages)

        # With no sender left, close what the kills interrupted, as a restarted sender does
        # once no send can still be in flight (never resent).
        await deliveries.close_interrupted(db, "urn:pathwise:notify-svc", timedelta(0))
        states = Counter(r["state"] for r in await db.fetch("SELECT state FROM deliveries"))
        assert set(states) <= {"sent", "unknown"} and sum(states.values()) == planned
        settled = await _reconcile(db, dsn, sink, support)
        texts = sink.messages
    rows = await db.fetch(
        """SELECT n.guardian_id, c.kind, d.state, d.provider_id
             FROM notifications n JOIN causes c USING (cause_event_id)
             JOIN deliveries d USING (notification_id)"""
    )
    assert {r["state"] for r in rows} == {"sent"}

    # No (guardian, cause) got two texts.
    texted = Counter((t["to"], kind_of(t["body"])) for t in texts)
    assert max(texted.values()) == 1, [k for k, v in texted.items() if v > 1]

    # Every row is a text in the sink, under the id the provider answered with; none lost.
    assert sorted(r["provider_id"] for r in rows) == sorted(t["sid"] for t in texts)
    for r in rows:
        assert (phone(int(r["guardian_id"].removeprefix("g-"))), r["kind"]) in texted
    assert kills == 4
    print(
        f"\nSMS kill -9: {kills} kills, states after them {dict(states)}; settled "
        f"{dict(settled)}: {before} texts before, {len(texts)} after, 0 twice, 0 lost"
    )


async def _reconcile(
    db: asyncpg.Pool, dsn: str, sink: SmsSink, support: ModuleType
) -> Counter[str]:
    """A restarted sender settles what the kills left unknown; its clock past the grace."""
    clock = ManualClock(datetime.now(UTC))
    sender = Sender(
        db,
        dsn,
        settings=NotifySettings(coalesce_window_s=0, reconcile_grace_s=30),
        keyring=support.KEYRING,
        source="urn:pathwise:notify-svc",
        sms=TwilioSms(sink.url, TwilioCredentials(sink.account_sid, sink.auth_token, "+15550100")),
        unsubscribe_key=b"u" * 32,
        clock=clock,
    )
    steps: Counter[str] = Counter()
    for _ in range(3):
        clock.advance(timedelta(seconds=31))
        steps += await sender.reconcile_once()
        await sender.run_once()  # what the provider never got goes out again
    return steps
