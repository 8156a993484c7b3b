"""Goals, interests, strengths, needs and reflected confidence change what comes next and how."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date

import pytest

from path_svc.domain import catalogue, traits
from path_svc.domain.modality import SUPPORTED
from path_svc.domain.planner import Inputs, Standing, frontier, plan, spelled
from path_svc.domain.planning import Planner, Profile
from path_svc.projections.learners import confidence, goal_dates
from pathwise_contracts import Modality, PathStep

pytestmark = pytest.mark.unit
FRAMEWORK = catalogue.load_default()
CAUSES = [uuid.UUID(int=n) for n in range(400)]
DEVELOPING = {"3.OA.A.1": Standing(0.5, 1)}


def steps_of(inputs: Inputs, n: int = 60) -> list[PathStep]:
    return [s for cause in CAUSES[:n] for s in plan(FRAMEWORK, inputs, cause)]


def test_a_goal_with_a_date_is_named_in_the_reason() -> None:
    inputs = Inputs(goals=["3.NF.A.1"], goal_dates={"3.NF.A.1": "2027-01-15"})
    [first, *_] = plan(FRAMEWORK, inputs, "c")
    assert first.competency_id == "3.NF.A.1"
    assert "a goal: 3.NF.A.1 by 2027-01-15" in first.reason


def test_a_need_puts_its_domain_first_among_ready_work_and_says_so() -> None:
    plain = frontier(FRAMEWORK, Inputs())
    assert plain[0] != "3.NF.A.1"
    for need in ("math.fractions", "3.nf", "fractions", "3.NF.A.1"):
        assert frontier(FRAMEWORK, Inputs(needs=[need]))[0] == "3.NF.A.1", need
    [first, *_] = plan(FRAMEWORK, Inputs(needs=["math.fractions"]), "c")
    assert "a need: math.fractions" in first.reason


def test_work_the_student_was_unsure_about_comes_next_and_says_so() -> None:
    assert frontier(FRAMEWORK, Inputs())[0] == "3.OA.A.1"
    unsure = Inputs(competency_confidence={"3.G.A.1": 1, "3.OA.A.2": 4})
    assert frontier(FRAMEWORK, unsure)[0] == "3.G.A.1"
    [first, *_] = plan(FRAMEWORK, unsure, "c")
    assert "the student reflected low confidence (1/4) on it" in first.reason
    assert frontier(FRAMEWORK, Inputs(confidence=1))[0] == "3.OA.A.1"  # general: how, not what


def test_goals_still_come_before_needs() -> None:
    order = frontier(FRAMEWORK, Inputs(goals=["3.G.A.1"], needs=["fractions"]))
    assert order[:2] == ["3.G.A.1", "3.NF.A.1"]


def test_an_interest_becomes_the_steps_context() -> None:
    steps = plan(FRAMEWORK, Inputs(interests=["cooking"]), "c")
    assert steps[0].competency_id == "3.NF.A.1" and steps[0].context == "cooking"
    assert "matches interests: cooking" in steps[0].reason
    assert all(s.context is None for s in plan(FRAMEWORK, Inputs(), "c"))


def test_low_confidence_keeps_supported_modalities_and_says_why() -> None:
    for where in (Inputs(confidence=1), Inputs(competency_confidence={"3.OA.A.1": 2})):
        steps = [s for s in steps_of(where) if s.competency_id == "3.OA.A.1"]
        assert steps and all(s.modality in SUPPORTED for s in steps)
        assert all(set(s.options) <= SUPPORTED for s in steps)
        assert all("confidence" in s.reason and "supported modalities" in s.reason for s in steps)
    developing = {"3.OA.A.1": Standing(0.5, 1)}  # project and practice are candidates here
    unsure = steps_of(Inputs(estimates=developing, competency_confidence={"3.OA.A.1": 1}))
    assert {s.modality for s in unsure if s.competency_id == "3.OA.A.1"} <= SUPPORTED


def test_a_competencys_own_confidence_wins_over_the_general_one() -> None:
    assert traits.confidence_on("3.OA.A.1", 1, {"3.OA.A.1": 4}) == 4
    assert traits.confidence_on("3.OA.A.2", 1, {"3.OA.A.1": 4}) == 1
    sure = Inputs(estimates=DEVELOPING, confidence=1, competency_confidence={"3.OA.A.1": 4})
    steps = steps_of(sure)
    assert any(s.modality not in SUPPORTED for s in steps if s.competency_id == "3.OA.A.1")


def _share(inputs: Inputs, code: str, ways: set[Modality]) -> float:
    picked = Counter(s.modality for s in steps_of(inputs, 400) if s.competency_id == code)
    return sum(n for m, n in picked.items() if m in ways) / sum(picked.values())


@pytest.mark.parametrize(
    ("more", "ways", "why"),
    [
        (
            {"strengths": ["collaboration"]},
            {Modality.PEER_TUTORING, Modality.SMALL_GROUP_PROJECT},
            "favoured by a strength: collaboration",
        ),
        ({"strengths": ["3.oa"]}, {Modality.INDEPENDENT_PRACTICE}, "a strength: 3.oa"),
        (
            {"needs": ["attention"]},
            {Modality.SMALL_GROUP_INSTRUCTION},
            "favoured by a need: attention",
        ),
        ({"confidence": 4}, {Modality.INDEPENDENT_PRACTICE}, "confidence 4/4"),
    ],
)
def test_strengths_needs_and_confidence_lean_the_modality(
    more: dict[str, object], ways: set[Modality], why: str
) -> None:
    base = Inputs(estimates=DEVELOPING)
    leaned = Inputs(estimates=DEVELOPING, **more)  # type: ignore[arg-type]
    assert _share(leaned, "3.OA.A.1", ways) > _share(base, "3.OA.A.1", ways) + 0.05
    reasons = [s.reason for s in steps_of(leaned) if s.competency_id == "3.OA.A.1"]
    assert any(why in r for r in reasons)


def test_a_trait_is_about_a_competency_by_code_prefix_or_domain_word() -> None:
    assert traits.about("3.nf", "3.NF.A.1") and traits.about("math.fractions", "3.NF.A.1")
    assert traits.about("nf", "3.NF.A.1") and traits.about("3.NF.A.1", "3.NF.A.1")
    assert not traits.about("3.nf", "4.NF.A.1") and not traits.about("reading_fluency", "3.NF.A.1")
    assert not traits.about("3", "3.NF.A.1")  # a grade alone names no work


def test_goal_ids_in_any_case_reach_the_planner() -> None:
    assert spelled(FRAMEWORK, ["3.nf.a.1", "3.NF.A.1", "x.y"]) == ["3.NF.A.1"]


def test_the_learners_projection_summarises_goals_and_reflections() -> None:
    goals = {
        "a": {"competencies": ["3.NF.A.1", "3.G.A.1"], "target_date": "2027-03-01"},
        "b": {"competencies": ["3.NF.A.1"], "target_date": "2027-01-15"},
        "c": {"competencies": ["3.MD.A.1"], "target_date": None},
    }
    assert goal_dates(goals) == {"3.G.A.1": date(2027, 3, 1), "3.NF.A.1": date(2027, 1, 15)}
    reflections = [
        {"id": "r1", "competencies": [], "confidence": 1},
        {"id": "r2", "competencies": ["3.NF.A.1"], "confidence": 2},
        {"id": "r3", "competencies": [], "confidence": 3},
        {"id": "r4", "competencies": ["3.NF.A.1"], "confidence": None},
    ]
    assert confidence(reflections) == {"confidence": 3, "competency_confidence": {"3.NF.A.1": 2}}


def test_a_profile_change_replans_naming_what_changed_and_round_trips() -> None:
    planner = Planner()
    assert planner.profile_changed(FRAMEWORK, Profile(), uuid.UUID(int=1)) is not None
    replan = planner.profile_changed(
        FRAMEWORK,
        Profile(goals=["3.G.A.1"], goal_dates={"3.G.A.1": "2027-01-15"}),
        uuid.UUID(int=2),
    )
    assert replan is not None and replan.reason.startswith(
        "Replanned because the learner's goals changed"
    )
    assert replan.steps[0].competency_id == "3.G.A.1"
    replan = planner.profile_changed(
        FRAMEWORK,
        Profile(
            goals=["3.G.A.1"], goal_dates={"3.G.A.1": "2027-01-15"}, requirements=["read_aloud"]
        ),
        uuid.UUID(int=3),
    )
    assert replan is not None and "accommodations changed" in replan.reason
    assert all(s.annotations[0].text == "read aloud" for s in replan.steps)
    planner.profile.needs, planner.profile.confidence = ["fractions"], 2
    planner.profile.competency_confidence = {"3.NF.A.1": 1}
    again = Planner.from_json(planner.to_json())
    assert again.to_json() == planner.to_json() and again.profile == planner.profile
