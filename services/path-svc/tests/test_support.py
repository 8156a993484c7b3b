"""Support alerts: when an episode opens, that it opens once, and when it closes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from path_svc.domain.planning import Planner
from path_svc.domain.support import INACTIVE_AFTER, STALL_ATTEMPTS, Alert, Support, Watch

pytestmark = pytest.mark.unit
T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def feed(support: Support, ps: list[float], on_path: bool = True) -> list[Alert]:
    out: list[Alert] = []
    for i, p in enumerate(ps):
        out += support.evidence("3.OA.A.1", p, on_path, T0 + timedelta(minutes=i))
    return out


def test_stalled_opens_one_episode_however_long_it_lasts() -> None:
    alerts = feed(Support(), [0.3] * (STALL_ATTEMPTS + 10))
    assert [(a.reason, a.episode, a.resolved) for a in alerts] == [("stalled", 1, False)]


def test_stalled_needs_the_competency_on_the_path() -> None:
    assert feed(Support(), [0.3] * (STALL_ATTEMPTS + 3), on_path=False) == []


def test_a_gain_resolves_and_a_new_stall_is_a_new_episode() -> None:
    support = Support()
    ps = [0.3] * (STALL_ATTEMPTS + 1) + [0.4] + [0.4] * (STALL_ATTEMPTS + 1)
    alerts = feed(support, ps)
    assert [(a.reason, a.episode, a.resolved) for a in alerts] == [
        ("stalled", 1, False),
        ("stalled", 1, True),
        ("stalled", 2, False),
    ]


def test_mastery_resolves_a_decline() -> None:
    alerts = feed(Support(), [0.8, 0.7, 0.6, 0.5, 0.96])
    assert [(a.reason, a.episode, a.resolved) for a in alerts] == [
        ("declining", 1, False),
        ("declining", 1, True),
    ]


def test_small_wobbles_are_not_a_decline() -> None:
    assert feed(Support(), [0.5, 0.49, 0.48, 0.47]) == []


def test_inactive_from_the_students_later_facts_and_cleared_by_evidence() -> None:
    support = Support()
    support.path(["3.OA.A.1"], T0)
    assert support.elapsed(["3.OA.A.1"], T0 + INACTIVE_AFTER - timedelta(seconds=1)) == []
    opened = support.elapsed(["3.OA.A.1"], T0 + INACTIVE_AFTER)
    assert [(a.reason, a.episode, a.resolved) for a in opened] == [("inactive", 1, False)]
    assert support.elapsed(["3.OA.A.1"], T0 + 3 * INACTIVE_AFTER) == []  # still one episode
    closed = support.evidence("3.OA.A.1", 0.3, True, T0 + 3 * INACTIVE_AFTER)
    assert [(a.reason, a.episode, a.resolved) for a in closed] == [("inactive", 1, True)]


def test_leaving_the_path_closes_an_inactive_episode() -> None:
    support = Support()
    support.path(["3.OA.A.1"], T0)
    support.elapsed(["3.OA.A.1"], T0 + INACTIVE_AFTER)
    closed = support.path(["3.OA.A.2"], T0 + INACTIVE_AFTER)
    assert [(a.competency_id, a.resolved) for a in closed] == [("3.OA.A.1", True)]


def test_state_survives_the_planner_json() -> None:
    planner = Planner()
    feed(planner.support, [0.3] * (STALL_ATTEMPTS + 1))
    planner.support.path(["3.OA.A.2"], T0)
    again = Planner.from_json(planner.to_json())
    assert again.support.to_json() == planner.support.to_json()
    assert again.support.watches["3.OA.A.1"].open == "stalled"


def test_a_framework_without_the_code_closes_its_open_alert() -> None:
    support = Support({"3.OA.A.1": Watch(open="stalled", episode=2), "3.OA.A.2": Watch()})
    closed = support.retired({"3.OA.A.1a", "3.OA.A.2"})
    assert [(a.competency_id, a.reason, a.episode, a.resolved) for a in closed] == [
        ("3.OA.A.1", "stalled", 2, True)
    ]
    assert support.retired({"3.OA.A.2"}) == []  # closed once
