"""Erasure in notify-svc: the delivery log, the sender's state and texted numbers forget them.

An erased student's entries go; an erased guardian's entries stay (a message
went out) but no longer say to whom, and an outcome that arrives after the
erasure, live or on replay, is written the same way.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import asyncpg
import pytest

from notify_svc.projections import PlanningProjection
from notify_svc.projections.delivery_log import REDACTED, DeliveryLogProjection
from pathwise_contracts import Channel, NotificationFailed, NotificationSent, SubjectErased
from pathwise_runtime.applier import BatchApplier

pytestmark = [pytest.mark.integration, pytest.mark.isolation]

S = "s-erase"
ERASED_AT = datetime(2026, 9, 14, 16, 0, tzinfo=UTC)


def _about(guardian: str, n: int) -> dict[str, Any]:
    return {
        "student_id": S,
        "notification_id": uuid.uuid5(uuid.NAMESPACE_URL, f"{guardian}/{n}"),
        "guardian_id": guardian,
        "channel": Channel.EMAIL,
        "cause_event_id": uuid.uuid5(uuid.NAMESPACE_URL, f"cause/{n}"),
    }


def _sent(guardian: str, n: int) -> NotificationSent:
    return NotificationSent(**_about(guardian, n), template="mastered")


def _failed(guardian: str, n: int) -> NotificationFailed:
    error = f"550 {guardian}@example.org unknown"
    return NotificationFailed(**_about(guardian, n), attempt=1, final=False, error=error)


def _guardian_erased(guardian: str) -> SubjectErased:
    return SubjectErased(
        student_id=S, version=4, subject_id=guardian, kind="guardian", erased_at=ERASED_AT
    )


async def _operational_rows(db: asyncpg.Pool, guardian: str, n: int) -> None:
    """What the sender keeps about a send: its delivery and the number texted."""
    await db.execute(
        """INSERT INTO deliveries (notification_id, student_id, district_id, guardian_id, channel,
                                   cause_event_id, state, attempts, last_error)
           VALUES ($1, $2, 'd1', $3, 'email', $4, 'failed', 1, $5)""",
        uuid.uuid5(uuid.NAMESPACE_URL, f"{guardian}/{n}"),
        S,
        guardian,
        uuid.uuid5(uuid.NAMESPACE_URL, f"cause/{n}"),
        f"550 {guardian}@example.org",
    )
    await db.execute(
        """INSERT INTO sms_recipients (phone_hash, district_id, student_id, guardian_id)
           VALUES ($1, 'd1', $2, $3)""",
        f"hash-{guardian}",
        S,
        guardian,
    )


async def _rows(db: asyncpg.Pool, table: str) -> list[dict[str, Any]]:
    return [dict(r) for r in await db.fetch(f"SELECT * FROM {table} WHERE student_id = $1", S)]


async def test_an_erased_guardian_leaves_the_log_without_their_name(
    pool: tuple[str, asyncpg.Pool], kafka_bootstrap: str, log: Any, support: ModuleType
) -> None:
    _, db = pool
    t0 = support.T0
    planning = BatchApplier(PlanningProjection(), db, kafka_bootstrap)
    deliveries = BatchApplier(DeliveryLogProjection(), db, kafka_bootstrap)
    await planning.apply([log.record(support.linked(S, g), time=t0) for g in ("g-1", "g-2")])
    await deliveries.apply([log.record(_sent(g, 1), time=t0) for g in ("g-1", "g-2")])
    await _operational_rows(db, "g-1", 2)
    await _operational_rows(db, "g-2", 2)

    await planning.apply([log.record(_guardian_erased("g-1"), time=t0)])
    # Live after the erasure, or replayed: a later outcome for g-1 is written redacted.
    await deliveries.apply([log.record(_failed("g-1", 3), time=t0)])

    entries = await _rows(db, "delivery_log")
    assert sorted(e["guardian_id"] for e in entries) == [REDACTED, REDACTED, "g-2"]
    assert all(e["error"] is None for e in entries if e["guardian_id"] == REDACTED)
    assert [d["guardian_id"] for d in await _rows(db, "deliveries")] == ["g-2"]
    assert [r["guardian_id"] for r in await _rows(db, "sms_recipients")] == ["g-2"]
    assert [g["guardian_id"] for g in await _rows(db, "guardians")] == ["g-2"]
    rows = [*await _rows(db, "delivery_log"), *await _rows(db, "deliveries")]
    everything = " ".join(str(r) for r in rows)
    assert "g-1" not in everything


async def test_an_erased_students_delivery_log_and_sender_state_are_gone(
    pool: tuple[str, asyncpg.Pool], kafka_bootstrap: str, log: Any, support: ModuleType
) -> None:
    _, db = pool
    t0 = support.T0
    planning = BatchApplier(PlanningProjection(), db, kafka_bootstrap)
    deliveries = BatchApplier(DeliveryLogProjection(), db, kafka_bootstrap)
    await planning.apply([log.record(support.linked(S, "g-1"), time=t0)])
    await deliveries.apply([log.record(_sent("g-1", 1), time=t0)])
    await _operational_rows(db, "g-1", 2)

    await planning.apply([log.record(support.erased(S), time=t0)])
    await deliveries.apply([log.record(_sent("g-1", 3), time=t0)])  # arrives late

    for table in ("delivery_log", "deliveries", "sms_recipients", "guardians", "notifications"):
        assert await _rows(db, table) == [], table
