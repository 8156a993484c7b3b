"""A student's planner over a sequence of facts: versions, overrides, choices, statistics."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from path_svc.domain import catalogue
from path_svc.domain.planner import Override
from path_svc.domain.planning import Planner, Profile
from pathwise_contracts import Modality

pytestmark = pytest.mark.unit
FRAMEWORK = catalogue.load_default()
CODES = [c.code for c in FRAMEWORK.competencies]


def cause(n: int) -> uuid.UUID:
    return uuid.UUID(int=n + 1)


def codes(planner: Planner) -> list[str]:
    return [s.competency_id for s in planner.steps]


def test_the_same_fact_twice_does_not_replan() -> None:
    planner = Planner()
    first = planner.mastery(FRAMEWORK, "3.OA.A.1", 0.5, 1, cause(1))
    assert first is not None and first.version == 1
    assert planner.replan(FRAMEWORK, cause(2), "nothing new") is None
    assert planner.profile_changed(FRAMEWORK, Profile(), cause(3)) is None
    assert planner.version == 1


@settings(max_examples=60)
@given(
    facts=st.lists(
        st.tuples(
            st.sampled_from(CODES),
            st.floats(min_value=0, max_value=1, allow_nan=False),
        ),
        max_size=25,
    )
)
def test_a_replan_is_emitted_exactly_when_the_path_changes(
    facts: list[tuple[str, float]],
) -> None:
    planner = Planner()
    attempts: dict[str, int] = {}
    for n, (code, p) in enumerate(facts):
        attempts[code] = attempts.get(code, 0) + 1
        before = list(planner.steps)
        replan = planner.mastery(FRAMEWORK, code, p, attempts[code], cause(n))
        shape = [(s.competency_id, s.modality, s.options, s.overridden) for s in planner.steps]
        old = [(s.competency_id, s.modality, s.options, s.overridden) for s in before]
        assert (replan is not None) == (shape != old)
        if replan is not None:
            assert replan.version == planner.version and replan.steps == planner.steps


def test_overrides_survive_replanning_until_lifted() -> None:
    planner = Planner()
    planner.mastery(FRAMEWORK, "3.OA.A.1", 0.3, 1, cause(0))
    planner.overridden(FRAMEWORK, "o-pin", Override("pin", "3.G.A.1"), cause(1))
    planner.overridden(FRAMEWORK, "o-skip", Override("skip", "3.OA.A.2"), cause(2))
    planner.overridden(
        FRAMEWORK,
        "o-how",
        Override("modality", "3.OA.A.1", modality=Modality.PEER_TUTORING),
        cause(3),
    )
    planner.overridden(FRAMEWORK, "o-move", Override("move", "3.OA.A.1", position=0), cause(4))
    for n in range(5, 25):  # plenty of evidence on other competencies
        planner.mastery(FRAMEWORK, CODES[n % 6 + 6], 0.2 + 0.01 * n, n, cause(n))
        assert codes(planner)[0] == "3.OA.A.1"
        assert "3.G.A.1" in codes(planner) and "3.OA.A.2" not in codes(planner)
        first = planner.steps[0]
        assert first.modality is Modality.PEER_TUTORING and first.overridden
        assert "set by a teacher" in first.reason
    assert planner.overridden(FRAMEWORK, "o-pin", None, cause(30)) is not None
    assert "3.G.A.1" not in codes(planner)  # not started, so behind work in progress
    planner.overridden(FRAMEWORK, "o-skip", None, cause(31))
    assert "o-skip" not in planner.overrides
    assert planner.overridden(FRAMEWORK, "o-unknown", None, cause(32)) is None


def test_an_iep_wins_over_a_teachers_modality() -> None:
    planner = Planner()
    planner.overridden(
        FRAMEWORK,
        "o",
        Override("modality", "3.OA.A.1", modality=Modality.INDEPENDENT_PRACTICE),
        cause(0),
    )
    planner.profile_changed(FRAMEWORK, Profile(requirements=["small_group_instruction"]), cause(1))
    first = planner.steps[0]
    assert first.modality is Modality.SMALL_GROUP_INSTRUCTION
    assert "required by the student's plan" in first.reason


def test_a_students_choice_sets_the_modality_and_gains_are_credited_to_it() -> None:
    planner = Planner()
    planner.mastery(FRAMEWORK, "3.OA.A.1", 0.45, 2, cause(0))
    step = planner.steps[0]
    other = next(m for m in step.options if m is not step.modality)
    replan = planner.chosen(FRAMEWORK, "3.OA.A.1", other, cause(1))
    assert replan is not None and planner.steps[0].modality is other
    assert planner.steps[0].reason.endswith("chosen by the student")
    planner.mastery(FRAMEWORK, "3.OA.A.1", 0.65, 3, cause(2))
    assert planner.gains[other].steps == 1 and planner.gains[other].alpha == pytest.approx(2.0)


def test_state_round_trips_through_json() -> None:
    planner = Planner()
    planner.profile_changed(
        FRAMEWORK,
        Profile(goals=["3.OA.C.7"], interests=["music"], preferred=[Modality.PEER_TUTORING]),
        cause(0),
    )
    planner.mastery(FRAMEWORK, "3.OA.A.1", 0.45, 2, cause(1))
    planner.overridden(FRAMEWORK, "o", Override("pin", "3.G.A.2"), cause(2))
    data = json.loads(json.dumps(planner.to_json()))
    assert Planner.from_json(data).to_json() == planner.to_json()
