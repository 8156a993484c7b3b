"""The delivery log per guardian and its records-request export, as the family portal reads them."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from types import ModuleType, SimpleNamespace
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from notify_svc.api.delivery_log import EXPORT_COLUMNS, router
from notify_svc.projections import DeliveryLogProjection
from pathwise_contracts import (
    Channel,
    Envelope,
    Event,
    NotificationDeliveryReported,
    NotificationScheduled,
    NotificationSent,
    NotificationSuppressed,
    derive_event_id,
)
from pathwise_devstack.devtoken import mint_token
from pathwise_runtime import problems
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.auth import TokenVerifier
from pathwise_runtime.settings import ServiceSettings

pytestmark = pytest.mark.integration

SECRET = "notify-log-tests-" + "x" * 32


def nid(student: str, guardian: str, channel: str) -> uuid.UUID:
    return derive_event_id(f"{student}/cause", guardian, channel)


def fields(student: str, guardian: str, channel: str = "email") -> dict[str, Any]:
    return {
        "student_id": student,
        "notification_id": nid(student, guardian, channel),
        "guardian_id": guardian,
        "channel": Channel(channel),
        "cause_event_id": uuid.uuid5(uuid.NAMESPACE_URL, f"{student}/cause"),
    }


async def test_a_guardian_reads_their_own_log_and_staff_export_it(
    pool: tuple[str, asyncpg.Pool], kafka_bootstrap: str, log: Any, support: ModuleType
) -> None:
    _, db = pool
    t0, minute = support.T0, timedelta(minutes=1)
    history: list[tuple[Event, int]] = [
        (
            NotificationScheduled(
                **fields("s-1", "g-1"), cause="support_needed", language="ar", planned_at=t0
            ),
            0,
        ),
        (NotificationSent(**fields("s-1", "g-1"), template="support_needed.ar"), 1),
        (
            NotificationScheduled(
                **fields("s-2", "g-1", "sms"),
                cause="competency_mastered",
                language="es",
                planned_at=t0,
            ),
            2,
        ),
        (NotificationSuppressed(**fields("s-2", "g-1", "sms"), reason="opted_out"), 3),
        (
            NotificationScheduled(
                **fields("s-1", "g-2", "sms"), cause="support_needed", language="en", planned_at=t0
            ),
            4,
        ),
        (NotificationSent(**fields("s-1", "g-2", "sms"), template="sms.support_needed.en"), 5),
        (
            NotificationDeliveryReported(
                **fields("s-1", "g-2", "sms"),
                provider="vonage",
                provider_status="delivered",
                outcome="delivered",
            ),
            6,
        ),
        # A late 'accepted' does not undo 'delivered'.
        (
            NotificationDeliveryReported(
                **fields("s-1", "g-2", "sms"),
                provider="vonage",
                provider_status="accepted",
                outcome="pending",
            ),
            7,
        ),
        (NotificationSuppressed(**fields("s-3", "g-1"), reason="no_consent"), 8),
    ]
    applier = BatchApplier(DeliveryLogProjection(), db, kafka_bootstrap)
    await applier.apply(
        [
            log.wrap(
                Envelope.wrap(
                    e, id=uuid.uuid4(), source="urn:t", district_id="d1", time=t0 + n * minute
                )
            )
            for e, n in history
        ]
    )

    app = FastAPI()
    problems.install(app)
    app.include_router(router)
    app.state.runtime = SimpleNamespace(pool=db, source="urn:pathwise:notify-svc")
    app.state.token_verifier = TokenVerifier(ServiceSettings(PATHWISE_AUTH_DEV_SECRET=SECRET))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notify") as client:

        async def get(path: str, role: str, sub: str | None = None, district: str = "d1") -> Any:
            token = mint_token(SECRET, role=role, district=district, sub=sub)
            return await client.get(path, headers={"Authorization": f"Bearer {token}"})

        mine = await get("/v1/guardians/g-1/notifications", "guardian", "g-1")
        assert mine.status_code == 200
        body = mine.json()
        assert body["guardian_id"] == "g-1"
        listed = [
            (n["student_id"], n["cause"], n["channel"], n["status"], n["reason"], n["language"])
            for n in body["notifications"]
        ]
        assert listed == [  # newest first
            ("s-3", None, "email", "suppressed", "no_consent", None),
            ("s-2", "competency_mastered", "sms", "suppressed", "opted_out", "es"),
            ("s-1", "support_needed", "email", "sent", None, "ar"),
        ]
        assert set(body["notifications"][0]) >= {
            "notification_id",
            "student_id",
            "cause",
            "channel",
            "status",
            "reason",
            "language",
            "updated_at",
        }

        other = await get("/v1/guardians/g-2/notifications", "guardian", "g-1")
        assert other.status_code == 404
        assert other.headers["content-type"].startswith("application/problem+json")
        assert "guardian_id" in other.json()["detail"]
        admin = (await get("/v1/guardians/g-2/notifications", "admin")).json()
        (texted,) = admin["notifications"]
        assert (texted["status"], texted["delivery"]) == ("sent", "delivered")
        assert (await get("/v1/guardians/g-2/notifications", "admin", district="d2")).json()[
            "notifications"
        ] == []
        assert (await get("/v1/guardians/g-1/notifications", "teacher")).status_code == 403
        assert (
            await get("/v1/guardians/g-1/notifications/export", "guardian", "g-2")
        ).status_code == 404

        exported = await get("/v1/guardians/g-1/notifications/export", "service")
        assert exported.headers["content-type"].startswith("text/csv")
        assert (
            'filename="notifications-guardian-g-1.csv"' in exported.headers["content-disposition"]
        )
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert tuple(rows[0]) == EXPORT_COLUMNS
        assert [(r["student_id"], r["status"], r["reason"]) for r in rows] == [
            ("s-3", "suppressed", "no_consent"),
            ("s-2", "suppressed", "opted_out"),
            ("s-1", "sent", ""),
        ]

        per_student = await get("/v1/students/s-1/notifications/export?format=json", "admin")
        records = per_student.json()["notifications"]
        assert [(r["guardian_id"], r["provider_status"], r["delivery"]) for r in records] == [
            ("g-2", "delivered", "delivered"),
            ("g-1", None, None),
        ]
        own = await get("/v1/students/s-1/notifications/export", "guardian", "g-1")
        assert [r["guardian_id"] for r in csv.DictReader(io.StringIO(own.text))] == ["g-1"]
        assert (await get("/v1/students/s-1/notifications", "teacher")).json()["notifications"][0][
            "cause"
        ] == "support_needed"
