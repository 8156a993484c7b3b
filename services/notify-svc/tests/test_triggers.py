"""The rules' triggers are planned identically in every interleaving of the two topics.

A replan that moves a competency to tutoring, a support alert, a weekly
summary per (student, ISO week) with activity, and a mastered competency;
a student erased before or after their facts arrive leaves nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from aiokafka import ConsumerRecord

from notify_svc.projections.planning import PlanningProjection, summary_cause_id
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.service import open_pool

pytestmark = pytest.mark.integration

S, E = "s-1", "s-erased"
Records = list[ConsumerRecord[bytes, bytes]]
TABLES = {
    "students": "student_id",
    "guardians": "student_id, guardian_id",
    "causes": "cause_event_id",
    "notifications": "notification_id",
    "paths": "student_id",
    "erased_students": "student_id",
}


def _id(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"triggers/{name}")


class Scenario:
    def __init__(self, support: ModuleType) -> None:
        t0, hour = support.T0, support.HOUR
        self.profile_events = [
            ("link-s", support.linked(S, "g-1", language="vi"), t0 - hour),
            ("link-e", support.linked(E, "g-e"), t0 - hour),
            ("erase-e", support.erased(E), t0 + 2 * hour),
        ]
        self.path_events = [
            ("plan-1", support.replanned(S, 1, [], ["A.1", "B.1"]), t0),
            ("update-1", support.mastery_updated(S), t0),
            ("plan-2", support.replanned(S, 2, ["A.1"], ["B.1"]), t0 + hour),
            ("update-2", support.mastery_updated(S), t0 + hour),
            ("plan-3", support.replanned(S, 3, ["A.1", "B.1"], []), t0 + 2 * hour),
            ("support", support.support_needed(S), t0 + 2 * hour),
            ("mastered", support.mastered(S), t0 + 3 * hour),
            ("e-mastered", support.mastered(E), t0 + 3 * hour),
            ("e-update", support.mastery_updated(E), t0 + 3 * hour),
        ]

    def profile(self, log: Any) -> Records:
        return [log.record(e, time=t, id=_id(n)) for n, e, t in self.profile_events]

    def path(self, log: Any) -> Records:
        return [log.record(e, time=t, id=_id(n)) for n, e, t in self.path_events]


async def build(dsn: str, bootstrap: str, batches: list[Records]) -> dict[str, list[Any]]:
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


async def test_triggers_are_planned_the_same_in_every_interleaving(
    migrated: Callable[[], str], kafka_bootstrap: str, support: ModuleType
) -> None:
    s = Scenario(support)

    def profile_first(log: Any) -> list[Records]:
        return [s.profile(log), s.path(log)]

    def path_first(log: Any) -> list[Records]:
        return [s.path(log), s.profile(log)]

    def interleaved(log: Any) -> list[Records]:
        profile, path = s.profile(log), s.path(log)
        return [profile[:2], path[:4], profile[2:], path[4:]]

    def one_batch(log: Any) -> list[Records]:
        return [s.path(log) + s.profile(log)]

    results = [
        await build(migrated(), kafka_bootstrap, order(support.Log()))
        for order in (profile_first, path_first, interleaved, one_batch)
    ]
    for other in results[1:]:
        assert other["causes"] == results[0]["causes"]
        assert other == results[0]
    tables = results[0]
    kinds = {str(c["cause_event_id"]): c["kind"] for c in tables["causes"]}
    planned = sorted(kinds[str(n["cause_event_id"])] for n in tables["notifications"])
    assert planned == [
        "competency_mastered",
        "path_changed",
        "path_changed",
        "support_needed",
        "weekly_summary",
    ]
    assert {n["guardian_id"] for n in tables["notifications"]} == {"g-1"}
    moved = sorted(c["detail"] for c in tables["causes"] if c["kind"] == "path_changed")
    assert moved == ['{"codes": ["A.1"]}', '{"codes": ["B.1"]}']
    (summary,) = [c for c in tables["causes"] if c["kind"] == "weekly_summary"]
    assert str(summary["cause_event_id"]) == summary_cause_id(support.DISTRICT, S, "2026-W38")
    assert summary["occurred_at"].isoformat() == "2026-09-21T00:00:00+00:00"
    # The erased student: no rows at all, only the tombstone.
    assert [r["student_id"] for r in tables["erased_students"]] == [E]
    assert all(r["student_id"] != E for t in ("causes", "guardians", "paths") for r in tables[t])
