"""The sender mails each planned notification once, records it, and never guesses twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from notify_svc.adapters.clock import ManualClock
from notify_svc.api.delivery_log import router
from notify_svc.commands.deliveries import UNKNOWN_AFTER_CRASH
from notify_svc.projections import DeliveryLogProjection, PlanningProjection, notification_id
from notify_svc.settings import NotifySettings
from notify_svc.workers.sender import Sender
from pathwise_contracts import Envelope, NotificationFailed
from pathwise_devstack.devtoken import mint_token
from pathwise_devstack.ports import free_port
from pathwise_devstack.smtp_sink import SmtpSink, read_mailbox
from pathwise_runtime import problems
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.auth import TokenVerifier
from pathwise_runtime.settings import ServiceSettings

pytestmark = pytest.mark.integration

S = "s-1"
SOURCE = "urn:pathwise:notify-svc"
SECRET = "notify-svc-tests-" + "x" * 32


@pytest.fixture
def nid(support: ModuleType) -> str:
    return notification_id(support.cause_id("mastered"), "g-1")


@pytest.fixture
def sender(pool: tuple[str, asyncpg.Pool], support: ModuleType) -> Callable[..., Sender]:
    dsn, db = pool

    def make(port: int, **settings: Any) -> Sender:
        options = NotifySettings(
            coalesce_window_s=0, smtp_host="127.0.0.1", smtp_port=port, **settings
        )
        return Sender(db, dsn, settings=options, keyring=support.KEYRING, source=SOURCE)

    return make


@pytest.fixture
def plan(
    pool: tuple[str, asyncpg.Pool], kafka_bootstrap: str, log: Any, support: ModuleType
) -> Callable[[], Awaitable[None]]:
    """Apply: a consenting and a non-consenting guardian, then one mastered competency."""
    _, db = pool
    t0, hour, linked = support.T0, support.HOUR, support.linked
    applier = BatchApplier(PlanningProjection(), db, kafka_bootstrap)

    async def apply() -> None:
        await applier.apply(
            [
                log.record(linked(S, "g-1", email="ana@x.org", language="es"), time=t0 - hour),
                log.record(linked(S, "g-2", email="bo@example.org", consent=False), time=t0 - hour),
            ]
        )
        mastered = support.mastered(S)
        await applier.apply([log.record(mastered, time=t0, id=support.cause_id("mastered"))])

    return apply


async def outbox(db: asyncpg.Pool) -> list[Envelope]:
    rows = await db.fetch("SELECT payload FROM pathwise_outbox ORDER BY seq")
    return [Envelope.from_bytes(bytes(r["payload"])) for r in rows]


async def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.05)


async def test_one_mail_per_notification_recorded_with_its_event(
    pool: tuple[str, asyncpg.Pool],
    kafka_bootstrap: str,
    log: Any,
    tmp_path: Path,
    sender: Callable[..., Sender],
    plan: Callable[[], Awaitable[None]],
    nid: str,
    support: ModuleType,
) -> None:
    _, db = pool
    await plan()
    with SmtpSink(tmp_path / "mailbox.jsonl") as sink:
        worker = sender(sink.port)
        assert await worker.run_once() == 1
        assert await worker.run_once() == 0  # nothing is sent twice
        mails = sink.messages
    assert len(mails) == 1 and read_mailbox(tmp_path / "mailbox.jsonl") == mails
    mail = mails[0]
    assert mail["rcpt_tos"] == ["ana@x.org"]  # the consenting guardian only
    assert mail["message_id"] == f"<{nid}@pathwise>"
    assert mail["subject"] == "Competencia dominada: 3.OA.A.1"
    headers = mail["headers"]
    assert headers["X-Pathwise-Notification-Id"] == nid
    assert headers["X-Pathwise-Cause-Id"] == str(support.cause_id("mastered"))
    assert headers["X-Pathwise-Evidence-Id"] == str(support.mastered(S).evidence_id)
    assert headers["X-Pathwise-Student-Id"] == S
    assert headers["Content-Type"].startswith("multipart/alternative")

    assert await db.fetchval("SELECT state FROM deliveries") == "sent"
    scheduled, sent = await outbox(db)
    assert scheduled.data["cause"] == "competency_mastered" and scheduled.data["language"] == "es"
    assert str(sent.id) == nid and sent.type.endswith("NotificationSent.v1")
    assert sent.data["template"] == "competency_mastered.es"
    assert "ana@x.org" not in sent.to_bytes().decode()

    # The delivery log is rebuilt from that event, and the API reads it.
    delivery_log = BatchApplier(DeliveryLogProjection(), db, kafka_bootstrap)
    await delivery_log.apply([log.wrap(scheduled), log.wrap(sent)])
    app = FastAPI()
    problems.install(app)
    app.include_router(router)
    app.state.runtime = SimpleNamespace(pool=db, source="urn:pathwise:notify-svc")
    app.state.token_verifier = TokenVerifier(ServiceSettings(PATHWISE_AUTH_DEV_SECRET=SECRET))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notify") as client:

        async def listing(role: str, sub: str | None = None, district: str = "d1") -> Any:
            token = mint_token(SECRET, role=role, district=district, sub=sub)
            return await client.get(
                f"/v1/students/{S}/notifications", headers={"Authorization": f"Bearer {token}"}
            )

        teacher = (await listing("teacher")).json()["notifications"]
        assert [(n["guardian_id"], n["status"]) for n in teacher] == [("g-1", "sent")]
        assert (await listing("guardian", "g-1")).json()["notifications"] == teacher
        assert (await listing("guardian", "g-2")).json()["notifications"] == []
        assert (await listing("teacher", district="d2")).json()["notifications"] == []
        assert (await listing("student")).status_code == 403


async def test_a_new_plan_wakes_the_running_sender(
    tmp_path: Path, sender: Callable[..., Sender], plan: Callable[[], Awaitable[None]]
) -> None:
    with SmtpSink(tmp_path / "mailbox.jsonl") as sink:
        # A long poll interval: only the NOTIFY from the projection can wake it in time.
        worker = sender(sink.port, poll_interval_s=30)
        await worker.start()
        try:
            await asyncio.sleep(0.3)
            await plan()
            assert await eventually(lambda: sink.messages, timeout=5)
        finally:
            await worker.stop()
    assert len(sink.messages) == 1


async def test_an_interrupted_send_is_closed_as_unknown_then_settled_with_the_relay(
    pool: tuple[str, asyncpg.Pool],
    tmp_path: Path,
    sender: Callable[..., Sender],
    plan: Callable[[], Awaitable[None]],
    nid: str,
    support: ModuleType,
) -> None:
    _, db = pool
    await plan()
    # What a crash between "claimed" and "recorded" leaves behind.
    await db.execute(
        """INSERT INTO deliveries (notification_id, student_id, district_id, guardian_id,
                                   channel, cause_event_id, state, attempts, updated_at)
           VALUES ($1, $2, 'd1', 'g-1', 'email', $3, 'sending', 1, now() - interval '1 hour')""",
        nid,
        S,
        support.cause_id("mastered"),
    )
    with SmtpSink(tmp_path / "mailbox.jsonl") as sink:
        # The relay can be asked; it never got the mail, so it is sent again, once.
        worker = sender(
            sink.port,
            poll_interval_s=0.1,
            reconcile_interval_s=0.1,
            reconcile_grace_s=0,
            smtp_lookup_url=f"{sink.web_url}/messages",
        )
        await worker.start()
        try:
            state = await eventually(
                lambda: db.fetchval("SELECT state FROM deliveries WHERE state = 'sent'"),
                timeout=60,
            )
            await asyncio.sleep(0.3)  # a few more loops: nothing more is sent
        finally:
            await worker.stop()
        mails = sink.messages
    assert state == "sent"
    assert [m["message_id"] for m in mails] == [f"<{nid}@pathwise>"]
    events = [e.event() for e in await outbox(db)]
    failed = [e for e in events if isinstance(e, NotificationFailed)]
    assert [e.error for e in failed][:1] == [UNKNOWN_AFTER_CRASH]
    assert not any(e.final for e in failed)
    assert [str(e.notification_id) for e in failed] == [nid, nid]  # unknown, sent again
    assert sum(type(e).__name__ == "NotificationSent" for e in events) == 1


async def test_a_transient_failure_is_retried_later_then_given_up(
    pool: tuple[str, asyncpg.Pool],
    plan: Callable[[], Awaitable[None]],
    support: ModuleType,
) -> None:
    dsn, db = pool
    await plan()
    nobody = free_port()  # connection refused: a transient failure
    # The sender's clock decides when a retry is due, so the test does not race the wall clock.
    clock = ManualClock(datetime.now(UTC))
    options = NotifySettings(
        coalesce_window_s=0, smtp_port=nobody, retries=1, retry_base_s=10, smtp_timeout_s=2
    )
    worker = Sender(db, dsn, settings=options, keyring=support.KEYRING, source=SOURCE, clock=clock)
    assert await worker.run_once() == 1
    row = await db.fetchrow("SELECT state, attempts, next_attempt_at FROM deliveries")
    assert (row["state"], row["attempts"]) == ("failed", 1)
    assert row["next_attempt_at"] >= clock() + timedelta(seconds=5)  # half the ceiling at least
    assert await worker.run_once() == 0  # not due yet
    clock.advance(timedelta(seconds=11))
    assert await worker.run_once() == 1
    row = await db.fetchrow("SELECT state, attempts FROM deliveries")
    assert dict(row) == {"state": "dead", "attempts": 2}
    events = [e.event() for e in await outbox(db)]
    assert [(e.attempt, e.final) for e in events if isinstance(e, NotificationFailed)] == [
        (1, False),
        (2, True),
    ]
    assert all("example.org" not in e.error for e in events if isinstance(e, NotificationFailed))


async def test_a_stale_claim_cannot_fail_a_send_another_loop_took_over(
    pool: tuple[str, asyncpg.Pool],
    plan: Callable[[], Awaitable[None]],
    nid: str,
) -> None:
    """Loop B's claim outlived its lease; loop A re-claimed the notification and is sending
    it. B's late failure (a slow contact lookup) must not turn A's send into a retry."""
    from notify_svc.commands import claims, deliveries

    _, db = pool
    await plan()
    [job] = await claims.claim(db, 10, datetime.now(UTC), "UTC")
    assert await deliveries.begin_send_many(db, [nid]) == {nid}  # A is sending it
    stale = await deliveries.record_failed(
        db, job.target, job.attempt, "lookup timed out", "urn:t", retry_in=timedelta(seconds=5)
    )
    assert stale is False
    assert await db.fetchval("SELECT state FROM deliveries") == "sending"
    assert (
        await db.fetchval(
            "SELECT count(*) FROM pathwise_outbox WHERE convert_from(payload, 'UTF8') LIKE "
            "'%NotificationFailed%'"
        )
        == 0
    )
    # A's own failure after handing the message over is recorded.
    assert await deliveries.record_failed(
        db, job.target, job.attempt, "421 try later", "urn:t", retry_in=None, sending=True
    )
    assert await db.fetchval("SELECT state FROM deliveries") == "dead"
