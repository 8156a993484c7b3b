"""Folding evidence into one student's estimates: mastery once, voids retraced exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from path_svc.domain import catalogue
from path_svc.domain.learner import Learner

pytestmark = pytest.mark.unit
FRAMEWORK = catalogue.load_default()
AT = datetime(2026, 9, 1, tzinfo=UTC)


def test_mastery_is_announced_once() -> None:
    learner = Learner("s1")
    changes = [learner.record(FRAMEWORK, "3.OA.A.1", 1, 1, AT) for _ in range(6)]
    assert sum(c.newly_mastered for c in changes) == 1
    assert learner.estimates["3.OA.A.1"].mastered
    assert learner.estimates["3.OA.A.1"].attempts == 6
    assert [c.attempts for c in changes] == [1, 2, 3, 4, 5, 6]
    assert all(p.previous <= p.p_mastery for p in changes)


def test_a_slip_after_mastery_keeps_the_sticky_flag() -> None:
    learner = Learner("s1")
    for _ in range(5):
        learner.record(FRAMEWORK, "3.NF.A.1", 1, 1, AT)
    change = learner.record(FRAMEWORK, "3.NF.A.1", 0, 1, AT)
    assert change.p_mastery < change.previous
    assert learner.estimates["3.NF.A.1"].mastered and not change.newly_mastered


def test_unknown_competency_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"9\.XX\.A\.1"):
        Learner("s1").record(FRAMEWORK, "9.XX.A.1", 1, 1, AT)


@given(
    scores=st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=12),
    data=st.data(),
)
def test_recomputing_without_a_result_equals_never_having_seen_it(
    scores: list[float], data: st.DataObject
) -> None:
    dropped = data.draw(st.integers(min_value=0, max_value=len(scores) - 1))
    kept = scores[:dropped] + scores[dropped + 1 :]
    with_void = Learner("s1")
    for s in scores:
        with_void.record(FRAMEWORK, "3.OA.A.2", s, 1, AT)
    change = with_void.recompute(FRAMEWORK, "3.OA.A.2", kept, AT)
    without = Learner("s1")
    for s in kept:
        without.record(FRAMEWORK, "3.OA.A.2", s, 1, AT)
    expected = without.estimates.get("3.OA.A.2")
    got = with_void.estimates["3.OA.A.2"]
    assert change.attempts == len(kept) == got.attempts
    if expected is not None:
        assert got.p_mastery == pytest.approx(expected.p_mastery)
        assert got.mastered == expected.mastered
    else:
        assert got.p_mastery == FRAMEWORK["3.OA.A.2"].params.p_init


def test_mastered_at_is_the_time_of_the_evidence_that_crossed_the_threshold() -> None:
    framework = catalogue.load_default()
    code = framework.competencies[0].code
    learner = Learner("s-1")
    start = datetime(2026, 9, 1, 9, tzinfo=UTC)
    times = [start + timedelta(days=n) for n in range(12)]
    crossed = None
    for at in times:
        change = learner.record(framework, code, 1.0, 1.0, at)
        if change.newly_mastered:
            crossed = at
    assert crossed is not None
    assert learner.estimates[code].mastered_at == crossed
    assert learner.estimates[code].updated_at == times[-1]
    learner.recompute(framework, code, [0.0], times[-1])
    assert learner.estimates[code].mastered_at is None
