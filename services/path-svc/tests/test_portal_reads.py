"""The portal's section reads from planner state: roster lines and support, oldest first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from path_support import START

from path_svc.api.portal import longest_waiting, roster_row
from path_svc.domain.support import Support

pytestmark = pytest.mark.unit


def test_an_alert_remembers_when_it_opened_and_forgets_on_close() -> None:
    support = Support()
    for n in range(6):
        support.evidence("3.OA.A.1", 0.3, True, START + timedelta(hours=n))
    watch = support.watches["3.OA.A.1"]
    assert watch.open == "stalled" and watch.opened == START + timedelta(hours=4)
    assert Support.from_json(support.to_json()).watches["3.OA.A.1"].opened == watch.opened
    support.evidence("3.OA.A.1", 0.96, True, START + timedelta(hours=9))
    assert watch.open is None and watch.opened is None


def test_roster_row_and_oldest_alert_first() -> None:
    step = {
        "competency_id": "3.OA.A.3",
        "modality": "small_group_project",
        "reason": "ready",
        "options": ["small_group_project"],
    }
    state = {
        "version": 4,
        "steps": [step],
        "estimates": {"3.OA.A.1": [0.97, 5], "3.OA.A.3": [0.75, 2], "3.OA.B.5": [0.0, 0]},
        "support": {
            "3.OA.A.3": {"open": "declining", "episode": 2, "opened": "2026-09-03T10:00:00+00:00"},
            "3.OA.A.1": {"open": None, "episode": 1},
        },
    }
    row = roster_row("s1", state)
    assert row.step is not None and row.step.competency_id == "3.OA.A.3"
    assert (row.step_level, row.mastered, row.with_evidence, row.path_version) == (
        "proficient",
        1,
        2,
        4,
    )
    assert [(a.competency_id, a.reason, a.episode) for a in row.support] == [
        ("3.OA.A.3", "declining", 2)
    ]
    older = roster_row(
        "s2", {"support": {"x": {"open": "inactive", "opened": "2026-09-01T08:00:00+00:00"}}}
    )
    unknown = roster_row("s0", {"support": {"y": {"open": "stalled"}}})
    ordered = longest_waiting([*row.support, *unknown.support, *older.support])
    assert [a.student_id for a in ordered] == ["s2", "s1", "s0"]
    assert roster_row("s3", {}).step is None
