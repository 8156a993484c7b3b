"""Grade placement: earlier grades assumed, the current grade first, later grades after."""

from __future__ import annotations

import uuid

import pytest

from path_svc.domain import catalogue
from path_svc.domain.framework import Competency, Framework
from path_svc.domain.mastery import MASTERED
from path_svc.domain.placement import grade_rank, place
from path_svc.domain.planner import Inputs, Standing, plan
from path_svc.domain.planning import Planner, Profile

pytestmark = pytest.mark.unit
CAUSE = uuid.UUID(int=7)
# Listed with a later grade's competency first: only placement keeps it behind grade 1.
STAIRS = Framework(
    "stairs",
    [
        Competency("2.B", "later, no prerequisite", grade="2"),
        Competency("K.A", "kindergarten", grade="K"),
        Competency("1.A", "grade 1, after K.A", ("K.A",), grade="1"),
        Competency("1.B", "grade 1", grade="1"),
        Competency("2.A", "grade 2, after 1.A", ("1.A",), grade="2"),
    ],
)


def steps(inputs: Inputs) -> list[str]:
    return [s.competency_id for s in plan(STAIRS, inputs, CAUSE)]


@pytest.mark.parametrize(
    ("grade", "rank"),
    [("K", 0), ("KG", 0), ("05", 5), ("5", 5), ("PK", -1), ("HS", None), (None, None), ("", None)],
)
def test_roster_grades_are_ranked_as_rosters_spell_them(
    grade: str | None, rank: int | None
) -> None:
    assert grade_rank(grade) == rank


def test_earlier_grades_are_assumed_and_later_ones_wait() -> None:
    placed = place(STAIRS, "1")
    assert placed.earlier == {"K.A"} and placed.later == {"2.A", "2.B"}
    assert placed.prior("K.A", 0.2) == MASTERED and placed.prior("1.A", 0.2) == 0.2
    assert steps(Inputs(grade="1")) == ["1.A", "1.B", "2.B"]
    reasons = {s.competency_id: s.reason for s in plan(STAIRS, Inputs(grade="1"), CAUSE)}
    assert "K.A assumed from earlier grades" in reasons["1.A"]
    assert "a later grade's work" in reasons["2.B"]


def test_evidence_on_an_earlier_grade_replaces_the_assumption() -> None:
    struggling = Inputs(grade="1", estimates={"K.A": Standing(0.3, 4)})
    assert steps(struggling) == ["K.A", "1.B", "2.B"]  # the gap first, 1.A waits for it


def test_evidence_that_agrees_keeps_the_assumption_and_evidence_against_ends_it() -> None:
    planner = Planner()
    planner.profile_changed(STAIRS, Profile(grade="1"), CAUSE)
    # A right answer on K.A: the estimate (from the low prior) rose, the assumption stands.
    assert planner.mastery(STAIRS, "K.A", 0.5, 1, uuid.UUID(int=10), 0.2) is None
    assert planner.estimates["K.A"].p == MASTERED
    # A wrong one: the estimate fell, K.A is a gap to close first.
    gap = planner.mastery(STAIRS, "K.A", 0.3, 2, uuid.UUID(int=11), 0.5)
    assert gap is not None and gap.steps[0].competency_id == "K.A"
    # From then on the real estimate counts, up or down.
    planner.mastery(STAIRS, "K.A", 0.6, 3, uuid.UUID(int=12), 0.3)
    assert planner.estimates["K.A"].p == 0.6


def test_without_a_grade_or_grades_the_plan_is_as_before() -> None:
    assert steps(Inputs()) == ["2.B", "K.A", "1.B"]
    assert place(STAIRS, "HS").earlier == frozenset()
    default = catalogue.load_default()  # grade3-math: no grades on its competencies
    assert plan(default, Inputs(grade="3"), CAUSE) == plan(default, Inputs(), CAUSE)


def test_the_planner_keeps_the_grade_and_replans_when_it_changes() -> None:
    planner = Planner()
    first = planner.profile_changed(STAIRS, Profile(grade="1"), CAUSE)
    assert first is not None and [s.competency_id for s in first.steps] == ["1.A", "1.B", "2.B"]
    assert Planner.from_json(planner.to_json()).profile.grade == "1"
    moved = planner.profile_changed(STAIRS, Profile(grade="2"), uuid.UUID(int=8))
    assert moved is not None and [s.competency_id for s in moved.steps] == ["2.B", "2.A"]
    lost = planner.mastery(STAIRS, "K.A", 0.4, 3, uuid.UUID(int=9))
    assert lost is not None and "K.A is no longer estimated as mastered" in lost.reason


def test_a_grade_5_student_over_k8_math_starts_in_grade_5() -> None:
    k8 = catalogue.load("ccssm-k8")
    first = plan(k8, Inputs(grade="5"), CAUSE)
    assert first and all(k8[s.competency_id].grade == "5" for s in first)
    kindergarten = plan(k8, Inputs(grade="K"), CAUSE)
    assert all(k8[s.competency_id].grade == "K" for s in kindergarten)


def test_a_grade_3_student_over_ela_starts_in_grade_3_and_k8_grades_are_known() -> None:
    ela = catalogue.load("ela-k8")
    first = plan(ela, Inputs(grade="3"), CAUSE)
    assert first and all(s.competency_id.split(".")[1] == "3" for s in first)
    assert "assumed from earlier grades" in first[0].reason  # RL.2.x stands behind RL.3.x
