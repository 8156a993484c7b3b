"""Folding evidence into one student's state: mastery once, replans versioned."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from path_svc.domain.framework import Framework
from path_svc.domain.learner import Learner

pytestmark = pytest.mark.unit
FRAMEWORK = Framework.load_default()
AT = datetime(2026, 9, 1, tzinfo=UTC)


def test_mastery_is_announced_once_and_the_path_versions_up() -> None:
    learner = Learner("s1")
    changes = [learner.record(FRAMEWORK, "3.OA.A.1", 1, 1, AT) for _ in range(6)]
    assert sum(c.newly_mastered for c in changes) == 1
    assert learner.estimates["3.OA.A.1"].mastered
    assert learner.estimates["3.OA.A.1"].attempts == 6
    versions = [c.replan.version for c in changes if c.replan]
    assert versions == list(range(1, len(versions) + 1)) and learner.path_version == versions[-1]
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
