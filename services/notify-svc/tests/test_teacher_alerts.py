"""Support alerts reach the student's teachers too: one mail each, exactly once."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import httpx
import pytest

from notify_svc.adapters.clock import ManualClock
from notify_svc.adapters.contacts import ContactOpener, ServiceCredentials
from notify_svc.domain.rules import TEACHERS, load, parse
from notify_svc.projections import DeliveryLogProjection
from notify_svc.projections.planning import PlanningProjection, teacher_notification_id
from notify_svc.settings import NotifySettings
from notify_svc.workers.sender import Sender
from pathwise_contracts import EncryptedValue, Envelope, TeachersAssigned
from pathwise_contracts.events.profile import AssignedTeacher
from pathwise_devstack.smtp_sink import SmtpSink
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.settings import ServiceSettings

pytestmark = pytest.mark.integration

S = "s-1"
PORTAL = "https://portal.example.org"
# t-2's address is sealed with a stored (erasable) key: only profile-svc opens it.
STORED = EncryptedValue(kid="dek:t-2:1", alg="A256GCM", nonce="AAAAAAAAAAAAAAAA", ct="A" * 24)


def teachers(support: ModuleType, *ids: str) -> TeachersAssigned:
    sealed = {"t-1": support.KEYRING.encrypt("t-1", "t-1@school.example"), "t-2": STORED}
    return TeachersAssigned(
        student_id=S, teachers=[AssignedTeacher(teacher_id=t, email=sealed[t]) for t in ids]
    )


def records(log: Any, support: ModuleType) -> tuple[list[Any], list[Any]]:
    """(profile, path) records: a consenting guardian, two teachers, one support alert."""
    t0, hour = support.T0, support.HOUR
    profile = [
        log.record(support.linked(S, "g-1"), time=t0 - 2 * hour),
        log.record(teachers(support, "t-1", "t-2"), time=t0 - hour),
    ]
    path = [log.record(support.support_needed(S), time=t0, id=support.cause_id("support"))]
    return profile, path


async def notifications(db: asyncpg.Pool) -> list[tuple[str, str, str]]:
    rows = await db.fetch(
        "SELECT notification_id, guardian_id, audience FROM notifications ORDER BY guardian_id"
    )
    return [(str(r["notification_id"]), r["guardian_id"], r["audience"]) for r in rows]


def profile_svc(keyring: Any, opened: list[str]) -> ContactOpener:
    """Opens derived-key values here and stored-key ones through a stand-in profile-svc."""

    def handle(request: httpx.Request) -> httpx.Response:
        values = json.loads(request.content)["values"]
        opened.extend(v["kid"] for v in values)
        return httpx.Response(200, json={"values": ["t-2@school.example"] * len(values)})

    return ContactOpener(
        keyring,
        profile_url="http://profile",
        credentials=ServiceCredentials(ServiceSettings(PATHWISE_AUTH_DEV_SECRET="x" * 32), None),
        transport=httpx.MockTransport(handle),
    )


def test_the_rules_name_teachers_for_support_alerts_only() -> None:
    rules = load()
    assert rules.kinds_for(TEACHERS) == ["support_needed"]
    document = json.loads(json.dumps({"triggers": {k: {} for k in rules.triggers}}))
    for kind, rule in rules.triggers.items():
        document["triggers"][kind] = {
            "source": rule.source,
            "audience": "principals" if kind == "support_needed" else "teachers",
            "urgency": "normal",
            "delivery": "preference",
            "news_window_hours": 1,
        }
    with pytest.raises(ValueError, match=r"support_needed\.audience"):
        parse(document)


async def test_a_support_alert_mails_each_teacher_and_the_guardian_once(
    pool: tuple[str, asyncpg.Pool],
    migrated: Callable[[], str],
    kafka_bootstrap: str,
    log: Any,
    tmp_path: Path,
    support: ModuleType,
) -> None:
    dsn, db = pool
    applier = BatchApplier(PlanningProjection(), db, kafka_bootstrap)
    profile, path = records(log, support)
    await applier.apply(path)  # the alert first: teachers arriving later still hear of it
    await applier.apply(profile)
    planned = await notifications(db)
    cause = support.cause_id("support")
    assert [(who, audience) for _, who, audience in planned] == [
        ("g-1", "guardians"),
        ("t-1", "teachers"),
        ("t-2", "teachers"),
    ]
    assert planned[1][0] == teacher_notification_id(cause, "t-1")

    # Order-independent: the other interleaving plans the same rows.
    other_dsn = migrated()
    other = await asyncpg.create_pool(other_dsn, min_size=1, max_size=2)
    try:
        second = support.Log()
        p2, q2 = records(second, support)
        await BatchApplier(PlanningProjection(), other, kafka_bootstrap).apply(p2 + q2)
        assert await notifications(other) == planned
    finally:
        await other.close()

    opened: list[str] = []
    settings = NotifySettings(
        coalesce_window_s=0,
        smtp_host="127.0.0.1",
        smtp_port=1,
        NOTIFY_FAMILY_URL="https://family.example.org",
    )
    with SmtpSink(tmp_path / "mailbox.jsonl") as sink:
        settings = settings.model_copy(update={"smtp_port": sink.port, "portal_url": PORTAL})
        sender = Sender(
            db,
            dsn,
            settings=settings,
            keyring=support.KEYRING,
            source="urn:t",
            clock=ManualClock(support.T0),
            contacts=profile_svc(support.KEYRING, opened),
            unsubscribe_key=b"u" * 32,
        )
        assert await sender.run_once() == 3
        # Re-delivery of both topics and more sender rounds change nothing.
        await applier.apply(profile + path)
        assert await notifications(db) == planned
        assert await sender.run_once() == 0
        mails = sink.messages
    assert opened == ["dek:t-2:1"]  # the stored-key address went through profile-svc
    by_to = {m["rcpt_tos"][0]: m for m in mails}
    assert sorted(by_to) == ["guardian@example.org", "t-1@school.example", "t-2@school.example"]
    assert by_to["guardian@example.org"]["headers"]["X-Pathwise-Template"] == "support_needed.en"
    for teacher in ("t-1", "t-2"):
        mail = by_to[f"{teacher}@school.example"]
        assert mail["headers"]["X-Pathwise-Template"] == "teacher_support_needed.en"
        assert "List-Unsubscribe" not in mail["headers"]
        assert f"{PORTAL}/teacher/students/{S}" in mail["text"]
        assert mail["message_id"] == f"<{teacher_notification_id(cause, teacher)}@pathwise>"
    states = await db.fetch("SELECT state FROM deliveries")
    assert [r["state"] for r in states] == ["sent"] * 3
    sent = [
        json.loads(r["payload"])["data"]
        for r in await db.fetch("SELECT payload FROM pathwise_outbox")
        if json.loads(r["payload"])["type"].endswith("NotificationSent.v1")
    ]
    assert sorted((e["guardian_id"], e["recipient"]) for e in sent) == [
        ("g-1", "guardian"),
        ("t-1", "teacher"),
        ("t-2", "teacher"),
    ]
    # The delivery log keeps whom each entry addressed.
    published = [
        Envelope.from_bytes(r["payload"])
        for r in await db.fetch("SELECT payload FROM pathwise_outbox ORDER BY seq")
    ]
    await BatchApplier(DeliveryLogProjection(), db, kafka_bootstrap).apply(
        [log.wrap(e) for e in published if e.type.startswith("org.pathwise.notify.")]
    )
    logged = await db.fetch("SELECT guardian_id, recipient FROM delivery_log ORDER BY 1")
    assert [(r["guardian_id"], r["recipient"]) for r in logged] == [
        ("g-1", "guardian"),
        ("t-1", "teacher"),
        ("t-2", "teacher"),
    ]


async def test_a_teacher_who_leaves_or_an_erased_student_gets_no_alert(
    pool: tuple[str, asyncpg.Pool], kafka_bootstrap: str, log: Any, support: ModuleType
) -> None:
    _, db = pool
    applier = BatchApplier(PlanningProjection(), db, kafka_bootstrap)
    profile, path = records(log, support)
    await applier.apply(profile + path)
    later = support.T0 + support.HOUR
    await applier.apply([log.record(teachers(support, "t-1"), time=later)])
    assert [w for _, w, _ in await notifications(db)] == ["g-1", "t-1"]
    await applier.apply([log.record(support.erased(S), time=later)])
    assert await notifications(db) == []
    assert await db.fetchval("SELECT count(*) FROM teachers") == 0
    # A teacher set arriving after the erasure (replay interleaving) plans nothing.
    await applier.apply([log.record(teachers(support, "t-1", "t-2"), time=later)])
    assert await db.fetchval("SELECT count(*) FROM teachers") == 0
