"""Texts go out once through the provider port, report back, and stop at STOP."""

from __future__ import annotations

import json
import time
from types import ModuleType, SimpleNamespace
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from notify_svc.adapters import profile_consent as consent
from notify_svc.adapters.sms import FakeSms
from notify_svc.adapters.unsubscribe_links import signing_key
from notify_svc.api import sms_webhooks
from notify_svc.commands import deliveries, sms_reports, targets
from notify_svc.domain.signature import twilio_signature, vonage_signature
from notify_svc.projections import PlanningProjection, notification_id
from notify_svc.settings import NotifySettings
from notify_svc.workers.sender import Sender
from pathwise_contracts import Channel, Envelope, GuardianLinked, derive_event_id
from pathwise_runtime import problems
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.settings import ServiceSettings

pytestmark = pytest.mark.integration

S, G, PHONE = "s-1", "g-1", "+15550123456"
SOURCE = "urn:pathwise:notify-svc"
TOKEN = "sms-auth-token"
PUBLIC = "http://notify.example"
SETTINGS = ServiceSettings(PATHWISE_AUTH_DEV_SECRET="sms-tests-" + "x" * 32)


def texting(support: ModuleType) -> GuardianLinked:
    return GuardianLinked(
        student_id=S,
        guardian_id=G,
        relationship="father",
        educational_rights=True,
        language="vi",
        phone=support.KEYRING.encrypt(G, PHONE),
        consent={Channel.EMAIL: False, Channel.SMS: True},
    )


def vonage_signed(params: dict[str, str], *, now: float | None = None) -> dict[str, str]:
    stamped = {**params, "timestamp": str(int(now or time.time())), "nonce": "n1"}
    return {**stamped, "sig": vonage_signature(TOKEN, stamped, "sha256")}


async def reports(db: asyncpg.Pool) -> list[Envelope]:
    rows = await db.fetch("SELECT payload FROM pathwise_outbox ORDER BY seq")
    envelopes = [Envelope.from_bytes(bytes(r["payload"])) for r in rows]
    return [e for e in envelopes if e.type.endswith("NotificationDeliveryReported.v1")]


def signed(path: str, form: dict[str, str]) -> dict[str, Any]:
    signature = twilio_signature(TOKEN, PUBLIC + path, form.items())
    return {"data": form, "headers": {"X-Twilio-Signature": signature}}


async def test_a_text_is_sent_once_reported_and_stopped_by_stop(
    pool: tuple[str, asyncpg.Pool],
    kafka_bootstrap: str,
    log: Any,
    support: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dsn, db = pool
    for name, value in {
        "SMS_AUTH_TOKEN": TOKEN,
        "NOTIFY_PUBLIC_URL": PUBLIC,
        "PROFILE_URL": "http://profile",
    }.items():
        monkeypatch.setenv(name, value)
    consents: list[dict[str, Any]] = []

    def profile(request: httpx.Request) -> httpx.Response:
        consents.append(json.loads(request.content))
        return httpx.Response(200, json={"student_id": S, "version": 2})

    real_client = httpx.AsyncClient
    monkeypatch.setattr(
        consent.httpx,
        "AsyncClient",
        lambda **kw: real_client(transport=httpx.MockTransport(profile), **kw),
    )
    applier = BatchApplier(PlanningProjection(), db, kafka_bootstrap)
    t0, hour = support.T0, support.HOUR
    await applier.apply([log.record(texting(support), time=t0 - hour)])
    await applier.apply([log.record(support.mastered(S), time=t0, id=support.cause_id("mastered"))])
    planned = await db.fetch("SELECT notification_id, channel FROM notifications")
    assert [(str(r["notification_id"]), r["channel"]) for r in planned] == [
        (notification_id(support.cause_id("mastered"), G, "sms"), "sms")
    ]

    fake = FakeSms()
    sender = Sender(
        db,
        dsn,
        settings=NotifySettings(coalesce_window_s=0, smtp_port=1, sms_max_segments=2),
        keyring=support.KEYRING,
        source=SOURCE,
        sms=fake,
        unsubscribe_key=signing_key(SETTINGS),
        clock=lambda: t0 + hour,
    )
    await sender.run_once()
    await sender.run_once()
    ((accepted, sms),) = fake.sent
    assert sms.to == PHONE and "3.OA.A.1" in sms.body and sms.body.endswith(PUBLIC)
    assert sms.status_callback == f"{PUBLIC}/v1/sms/status"
    row = await db.fetchrow("SELECT state, provider_id FROM deliveries")
    assert row is not None and (row["state"], row["provider_id"]) == ("sent", accepted.provider_id)

    app = FastAPI()
    problems.install(app)
    app.include_router(sms_webhooks.router)
    app.state.runtime = SimpleNamespace(
        settings=SETTINGS, pool=db, extras={"sms": fake}, source=SOURCE
    )
    async with real_client(transport=httpx.ASGITransport(app=app), base_url=PUBLIC) as notify:
        report = {"MessageSid": accepted.provider_id, "MessageStatus": "delivered"}
        forged = await notify.post("/v1/sms/status", data=report)
        assert forged.status_code == 403
        assert (await notify.post("/v1/sms/status", **signed("/v1/sms/status", report))).is_success
        status = await db.fetchval("SELECT provider_status FROM deliveries")
        assert status == "delivered"
        # Published once: the provider repeating the report adds nothing.
        assert (await notify.post("/v1/sms/status", **signed("/v1/sms/status", report))).is_success
        (reported,) = await reports(db)
        assert reported.data["outcome"] == "delivered" and reported.data["provider"] == "twilio"
        assert str(reported.id) == str(
            derive_event_id(str(reported.data["notification_id"]), "delivery-report", "delivered")
        )

        # Vonage: a signed delivery receipt; unsigned, mis-signed or stale ones are refused.
        dlr = {"messageId": accepted.provider_id, "status": "failed", "err-code": "5"}
        assert (await notify.post("/v1/sms/vonage/status", data=dlr)).status_code == 403
        stale = vonage_signed(dlr, now=time.time() - 3600)
        assert (await notify.post("/v1/sms/vonage/status", data=stale)).status_code == 403
        tampered = {**vonage_signed(dlr), "status": "delivered"}
        assert (await notify.post("/v1/sms/vonage/status", data=tampered)).status_code == 403
        receipt = await notify.post("/v1/sms/vonage/status", json=vonage_signed(dlr))
        assert receipt.status_code == 204
        assert [r.data["outcome"] for r in await reports(db)] == ["delivered", "not_delivered"]

        for body in ("Stop", "STOPALL"):
            reply = await notify.post(
                "/v1/sms/inbound", **signed("/v1/sms/inbound", {"From": PHONE, "Body": body})
            )
            assert reply.status_code == 200 and "<Response>" in reply.text
        helped = await notify.post(
            "/v1/sms/inbound", **signed("/v1/sms/inbound", {"From": PHONE, "Body": "help"})
        )
        assert helped.status_code == 200
        # A reply the provider retries (or anyone replays), same MessageSid: acted on once.
        retried = signed("/v1/sms/inbound", {"From": PHONE, "Body": "help", "MessageSid": "SM1"})
        for _ in range(2):
            assert (await notify.post("/v1/sms/inbound", **retried)).status_code == 200
    replies = [s.body for _, s in fake.sent[1:]]
    assert len(replies) == 3 and "START" in replies[0] and "HELP" not in replies[0]
    assert replies[1] == replies[2]  # the two HELP answers: the plain one and the retried one
    assert consents == [{"channel": "sms", "granted": False, "source": "sms_stop"}] * 2

    # The profile's consent change has not come back yet: the number's STOP still holds.
    second = support.mastered(S, "3.OA.A.2")
    await applier.apply([log.record(second, time=t0 + hour, id=support.cause_id("second"))])
    await sender.run_once()
    assert len(fake.sent) == 4  # nothing new to the number
    outcome = await db.fetchrow(
        "SELECT state, last_error FROM deliveries WHERE notification_id = $1",
        notification_id(support.cause_id("second"), G, "sms"),
    )
    assert outcome is not None and tuple(outcome) == ("suppressed", "opted_out")


async def test_a_report_that_beats_the_record_is_published_with_it(
    pool: tuple[str, asyncpg.Pool], support: ModuleType
) -> None:
    """The provider may call back before the sender has recorded the id it was given."""
    _, db = pool
    nid = notification_id(support.cause_id("early"), G, "sms")
    await db.execute(
        """INSERT INTO deliveries (notification_id, student_id, district_id, guardian_id,
                                   channel, cause_event_id, state, attempts)
           VALUES ($1, $2, 'd1', $3, 'sms', $4, 'sending', 1)""",
        nid,
        S,
        G,
        support.cause_id("early"),
    )
    known = await sms_reports.record_provider_status(
        db, "SM-early", "delivered", provider="twilio", source=SOURCE
    )
    assert not known and await reports(db) == []
    target = targets.Target(nid, S, "d1", G, "sms", str(support.cause_id("early")))
    await deliveries.record_sent(
        db, [target], "sms.competency_mastered.en", SOURCE, provider_id="SM-early"
    )
    (reported,) = await reports(db)
    assert str(reported.data["notification_id"]) == nid and reported.data["outcome"] == "delivered"
    assert await db.fetchval("SELECT provider_status FROM deliveries") == "delivered"
