"""The planner offers only what a student is ready for, in an explainable order."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from path_svc.domain import catalogue
from path_svc.domain.mastery import MASTERED
from path_svc.domain.modality import Gains, allowed, situation
from path_svc.domain.planner import (
    PATH_LENGTH,
    Inputs,
    Override,
    Standing,
    diff,
    frontier,
    plan,
)
from pathwise_contracts import Modality, PathStep

pytestmark = pytest.mark.unit
FRAMEWORK = catalogue.load_default()
CODES = [c.code for c in FRAMEWORK.competencies]
CAUSE = uuid.UUID(int=7)

standings = st.dictionaries(
    st.sampled_from(CODES),
    st.builds(
        Standing,
        st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
        st.integers(min_value=0, max_value=20),
    ),
)
modalities = st.sampled_from(list(Modality))


def p_of(inputs: Inputs, code: str) -> float:
    s = inputs.estimates.get(code)
    return s.p if s else FRAMEWORK[code].params.p_init


@given(estimates=standings, goals=st.lists(st.sampled_from(CODES), max_size=3))
def test_only_ready_competencies_are_offered(
    estimates: dict[str, Standing], goals: list[str]
) -> None:
    inputs = Inputs(estimates=estimates, goals=goals)
    steps = plan(FRAMEWORK, inputs, CAUSE)
    assert len(steps) == min(PATH_LENGTH, len(frontier(FRAMEWORK, inputs)))
    for step in steps:
        assert p_of(inputs, step.competency_id) < MASTERED
        assert all(p_of(inputs, q) >= MASTERED for q in FRAMEWORK.prerequisites(step.competency_id))
        assert step.options[0] is step.modality and len(step.options) <= 3
        assert step.reason.startswith("ready: ")
    assert steps == plan(
        FRAMEWORK, Inputs(estimates=dict(reversed(estimates.items())), goals=goals), CAUSE
    )


def test_a_new_student_starts_on_competencies_without_prerequisites() -> None:
    steps = plan(FRAMEWORK, Inputs(), CAUSE)
    assert [s.competency_id for s in steps] == ["3.OA.A.1", "3.OA.A.2", "3.NBT.A.1"]
    assert all(s.reason.startswith("ready: no prerequisites; ") for s in steps)


def test_goals_then_what_unlocks_them_then_interests() -> None:
    mastered = {c: Standing(0.99, 3) for c in ("3.OA.A.1", "3.OA.A.2")}
    order = frontier(FRAMEWORK, Inputs(estimates=mastered, goals=["3.OA.C.7"]))
    # 3.OA.C.7 is not ready; 3.OA.B.5 and 3.OA.B.6 unlock it, so they lead.
    assert order[:2] == ["3.OA.B.5", "3.OA.B.6"]
    order = frontier(FRAMEWORK, Inputs(estimates=mastered, goals=["3.OA.A.3"]))
    assert order[0] == "3.OA.A.3"
    by_interest = frontier(FRAMEWORK, Inputs(interests=["cooking"]))
    assert by_interest[0] == "3.NF.A.1"
    [step] = [
        s
        for s in plan(FRAMEWORK, Inputs(estimates=mastered, goals=["3.OA.C.7"]), CAUSE)
        if s.competency_id == "3.OA.B.6"
    ]
    assert step.reason.startswith(
        "ready: prerequisites 3.OA.A.1, 3.OA.A.2 mastered; unlocks goal 3.OA.C.7; "
    )


def test_several_failed_attempts_call_for_tutoring_with_the_reason() -> None:
    mastered = {c: Standing(0.99, 3) for c in ("3.OA.A.1", "3.OA.A.2")}
    inputs = Inputs(estimates={**mastered, "3.OA.A.3": Standing(0.2, 3)}, goals=["3.OA.A.3"])
    [step, *_] = plan(FRAMEWORK, inputs, CAUSE)
    assert step.modality is Modality.ONE_ON_ONE_TUTORING
    assert step.reason == (
        "ready: prerequisites 3.OA.A.1, 3.OA.A.2 mastered; a goal: 3.OA.A.3; "
        "tutoring: 3 attempts below 40%"
    )


@pytest.mark.parametrize(
    ("p", "attempts", "expected"),
    [(0.35, 3, "stuck"), (0.2, 1, "new"), (0.5, 8, "developing"), (0.85, 2, "near")],
)
def test_situation_follows_mastery_and_attempts(p: float, attempts: int, expected: str) -> None:
    assert situation(p, attempts) == expected


@given(
    estimates=standings,
    preferred=st.lists(modalities, max_size=3),
    avoided=st.lists(modalities, max_size=7),
    forced=st.lists(st.tuples(st.sampled_from(CODES), modalities), max_size=3),
    chosen=st.dictionaries(st.sampled_from(CODES), modalities),
    wins=st.dictionaries(modalities, st.floats(min_value=0, max_value=50)),
    cause=st.uuids(),
    other=st.lists(st.sampled_from(["extended_time", "read_aloud", "one_on_one_instruction"])),
)
def test_an_iep_requiring_small_group_instruction_is_always_honoured(
    estimates: dict[str, Standing],
    preferred: list[Modality],
    avoided: list[Modality],
    forced: list[tuple[str, Modality]],
    chosen: dict[str, Modality],
    wins: dict[Modality, float],
    cause: uuid.UUID,
    other: list[str],
) -> None:
    inputs = Inputs(
        estimates=estimates,
        requirements=[*other, "small_group_instruction"],
        preferred=preferred,
        avoided=avoided,
        gains={m: Gains(1 + w, 1.0, int(w)) for m, w in wins.items()},
        overrides=[Override("modality", c, None, m) for c, m in forced],
        choices=chosen,
    )
    for step in plan(FRAMEWORK, inputs, cause):
        assert step.modality is Modality.SMALL_GROUP_INSTRUCTION
        assert step.options == [Modality.SMALL_GROUP_INSTRUCTION]


def test_avoided_modalities_are_dropped_unless_nothing_is_left() -> None:
    assert (
        Modality.PEER_TUTORING not in allowed(0.5, 1, avoided=[Modality.PEER_TUTORING]).modalities
    )
    everything = list(Modality)
    assert allowed(0.5, 1, avoided=everything).modalities == allowed(0.5, 1).modalities


def test_thompson_sampling_is_seeded_by_the_cause_and_learns_what_works() -> None:
    inputs = Inputs(estimates={"3.OA.A.1": Standing(0.5, 1)})
    first = plan(FRAMEWORK, inputs, CAUSE)
    assert plan(FRAMEWORK, inputs, CAUSE) == first
    good = Inputs(
        estimates={"3.OA.A.1": Standing(0.5, 1)},
        gains={
            Modality.PEER_TUTORING: Gains(30.0, 2.0, 30),
            Modality.SMALL_GROUP_PROJECT: Gains(2.0, 30.0, 30),
            Modality.INDEPENDENT_PRACTICE: Gains(2.0, 30.0, 30),
            Modality.SMALL_GROUP_INSTRUCTION: Gains(2.0, 30.0, 30),
        },
    )
    picks = [plan(FRAMEWORK, good, uuid.UUID(int=n))[0].modality for n in range(50)]
    assert picks.count(Modality.PEER_TUTORING) >= 45


def step(code: str, how: Modality = Modality.INDEPENDENT_PRACTICE) -> PathStep:
    return PathStep(competency_id=code, modality=how, reason="r")


def test_diff_lists_added_and_removed_in_path_order() -> None:
    old = [step("a"), step("b"), step("c")]
    new = [step("c"), step("d", Modality.SMALL_GROUP_PROJECT), step("a"), step("e")]
    assert diff(old, new) == (["d", "e"], ["b"])
    assert diff(old, old) == ([], [])
    assert diff([], old) == (["a", "b", "c"], [])
