"""Planned notifications depend on the facts and guardians, never on arrival order.

Replay interleaves the profile and path topics differently from live
consumption; the tables must come out identical either way.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from types import ModuleType
from typing import Any

import asyncpg
import pytest
from aiokafka import ConsumerRecord

from notify_svc.projections import PlanningProjection, notification_id
from pathwise_contracts import Envelope, StudentEnrolled
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.service import open_pool

pytestmark = pytest.mark.integration

S = "s-1"
Records = list[ConsumerRecord[bytes, bytes]]
TABLES = {
    "students": "student_id",
    "guardians": "student_id, guardian_id",
    "causes": "cause_event_id",
    "notifications": "notification_id",
}


class Scenario:
    """One student's guardians and one fact; events built once, so ciphertexts match."""

    def __init__(self, support: ModuleType) -> None:
        t0, hour = support.T0, support.HOUR
        self.support = support
        linked, before = support.linked, t0 - hour
        self.profile_events: list[tuple[Any, Any]] = [
            (linked(S, "g-ok", language="es"), before),
            (linked(S, "g-no-consent", consent=False), before),
            (linked(S, "g-no-rights", rights=False), before),
            (linked(S, "g-no-email", email=None), before),
            (linked(S, "g-revoked"), before),
            (linked(S, "g-soon-after"), t0 + 12 * hour),  # within a day: still told
            (linked(S, "g-much-later"), t0 + 30 * hour),  # old news: not told
            (support.preferences(S, "g-revoked", consent=False), t0 + 2 * hour),
        ]
        self.fact = support.mastered(S)

    def profile(self, log: Any) -> Records:
        cause_id = self.support.cause_id
        return [
            log.record(event, time=time, id=cause_id(f"profile/{i}"))
            for i, (event, time) in enumerate(self.profile_events)
        ]

    def cause(self, log: Any) -> Records:
        return [log.record(self.fact, time=self.support.T0, id=self.support.cause_id("mastered"))]


def guardians_first(s: Scenario, log: Any) -> list[Records]:
    return [s.profile(log), s.cause(log)]


def cause_first(s: Scenario, log: Any) -> list[Records]:
    return [s.cause(log), s.profile(log)]


def interleaved(s: Scenario, log: Any) -> list[Records]:
    # The revocation (last profile event) arrives after the fact was planned for them.
    profile = s.profile(log)
    return [profile[:3], s.cause(log), profile[3:6], profile[6:]]


def one_batch(s: Scenario, log: Any) -> list[Records]:
    return [s.cause(log) + s.profile(log)]


async def build(
    dsn: str, bootstrap: str, batches: list[Records]
) -> dict[str, list[dict[str, object]]]:
    pool = await open_pool(dsn, min_size=1, max_size=2)
    try:
        applier = BatchApplier(PlanningProjection(), pool, bootstrap)
        for batch in batches:
            await applier.apply(batch)
        return {
            table: [dict(r) for r in await pool.fetch(f"SELECT * FROM {table} ORDER BY {key}")]
            for table, key in TABLES.items()
        }
    finally:
        await pool.close()


async def test_every_interleaving_plans_the_same_notifications(
    migrated: Callable[[], str], kafka_bootstrap: str, support: ModuleType
) -> None:
    scenario = Scenario(support)
    results = [
        await build(migrated(), kafka_bootstrap, order(scenario, support.Log()))
        for order in (guardians_first, cause_first, interleaved, one_batch)
    ]
    for other in results[1:]:
        assert other == results[0]
    planned = results[0]["notifications"]
    assert sorted(r["guardian_id"] for r in planned) == ["g-ok", "g-soon-after"]
    for row in planned:
        assert str(row["notification_id"]) == notification_id(
            support.cause_id("mastered"), str(row["guardian_id"])
        )
        assert row["channel"] == "email"


async def test_contact_details_are_stored_encrypted(
    pool: tuple[str, asyncpg.Pool], kafka_bootstrap: str, log: Any, support: ModuleType
) -> None:
    _, db = pool
    await BatchApplier(PlanningProjection(), db, kafka_bootstrap).apply(
        [log.record(support.linked(S, "g-1", email="ana@example.org"), time=support.T0)]
    )
    stored = await db.fetchval("SELECT email::text FROM guardians")
    assert "ana@example.org" not in stored
    assert '"kid": "subject:g-1:1"' in stored


async def test_consent_given_later_plans_only_recent_news(
    pool: tuple[str, asyncpg.Pool], kafka_bootstrap: str, log: Any, support: ModuleType
) -> None:
    _, db = pool
    t0, hour, cause_id = support.T0, support.HOUR, support.cause_id
    applier = BatchApplier(PlanningProjection(), db, kafka_bootstrap)
    await applier.apply(
        [
            log.record(support.linked(S, "g-1", consent=False), time=t0),
            log.record(support.preferences(S, "g-1", consent=True), time=t0 + 72 * hour),
        ]
    )
    await applier.apply(
        [
            log.record(support.mastered(S, "OLD.1"), time=t0 + hour, id=cause_id("old")),
            log.record(support.mastered(S, "NEW.1"), time=t0 + 60 * hour, id=cause_id("new")),
        ]
    )
    rows = await db.fetch("SELECT cause_event_id, planned_at FROM notifications")
    assert [(r["cause_event_id"], r["planned_at"]) for r in rows] == [
        (cause_id("new"), t0 + 72 * hour)
    ]


@pytest.mark.isolation
async def test_a_fact_from_another_district_is_never_told_to_the_family(
    pool: tuple[str, asyncpg.Pool], kafka_bootstrap: str, support: ModuleType
) -> None:
    """path-svc keeps districts apart under one student id; notify-svc tells a family only
    what comes from the district their student is enrolled in."""
    _, db = pool
    log, t0 = support.Log(), support.T0
    enrolled = StudentEnrolled(student_id="s-home", district_id="d1", section_ids=[])
    before = [
        log.record(enrolled, time=t0),
        log.record(support.linked("s-home", "g-home"), time=t0),
    ]
    foreign = Envelope.wrap(
        support.mastered("s-home"),
        id=uuid.uuid4(),
        source="urn:pathwise:test",
        district_id="d2",
        time=t0,
    )
    applier = BatchApplier(PlanningProjection(), db, kafka_bootstrap)
    await applier.apply(before)
    await applier.apply([log.wrap(foreign)])
    told = await db.fetchval("SELECT count(*) FROM notifications")
    await applier.apply([log.record(support.mastered("s-home"), time=t0)])
    assert (told, await db.fetchval("SELECT count(*) FROM notifications")) == (0, 1)
