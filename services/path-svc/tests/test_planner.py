"""The planner offers only what a student is ready for, deterministically."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from path_svc.domain.framework import Framework
from path_svc.domain.mastery import MASTERED
from path_svc.domain.planner import PATH_LENGTH, diff, frontier, modality, replan
from pathwise_contracts import Modality, PathStep

pytestmark = pytest.mark.unit
FRAMEWORK = Framework.load_default()
CODES = [c.code for c in FRAMEWORK.competencies]

estimates = st.dictionaries(
    st.sampled_from(CODES), st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
)
attempt_counts = st.dictionaries(st.sampled_from(CODES), st.integers(min_value=0, max_value=20))


@given(mastery=estimates, attempts=attempt_counts)
def test_only_unmastered_competencies_with_mastered_prerequisites_are_offered(
    mastery: dict[str, float], attempts: dict[str, int]
) -> None:
    steps = replan(FRAMEWORK, mastery, attempts)
    p = {c.code: mastery.get(c.code, c.params.p_init) for c in FRAMEWORK.competencies}
    assert len(steps) <= PATH_LENGTH
    for step in steps:
        assert p[step.competency_id] < MASTERED
        assert all(p[q] >= MASTERED for q in FRAMEWORK.prerequisites(step.competency_id))
    order = [(p[s.competency_id], s.competency_id) for s in steps]
    assert order == sorted(order)
    assert steps == replan(FRAMEWORK, dict(reversed(mastery.items())), attempts)


def test_a_new_student_starts_on_competencies_without_prerequisites() -> None:
    steps = replan(FRAMEWORK, {}, {})
    assert [s.competency_id for s in steps] == [
        "3.G.A.1",
        "3.NBT.A.1",
        "3.NBT.A.2",
        "3.NF.A.1",
        "3.OA.A.1",
    ]
    assert {s.modality for s in steps} == {Modality.TEACHER_LED_INSTRUCTION}
    assert all(s.reason for s in steps)


def test_mastering_a_prerequisite_unlocks_what_depends_on_it() -> None:
    mastered = {c: 0.99 for c in ("3.G.A.1", "3.NBT.A.1", "3.NBT.A.2", "3.NF.A.1", "3.OA.A.2")}
    before = set(frontier(FRAMEWORK, mastered))
    after = set(frontier(FRAMEWORK, {**mastered, "3.OA.A.1": 0.99}))
    assert "3.OA.B.5" not in before
    assert {"3.OA.B.5", "3.OA.B.6", "3.OA.A.3"} <= after


@pytest.mark.parametrize(
    ("p", "attempts", "expected"),
    [
        (0.35, 4, Modality.ONE_ON_ONE_TUTORING),
        (0.1, 9, Modality.ONE_ON_ONE_TUTORING),
        (0.2, 1, Modality.TEACHER_LED_INSTRUCTION),
        (0.35, 3, Modality.SMALL_GROUP_PROJECT),
        (0.5, 8, Modality.SMALL_GROUP_PROJECT),
        (0.8, 0, Modality.INDEPENDENT_PRACTICE),
    ],
)
def test_modality_follows_mastery_and_attempts(p: float, attempts: int, expected: Modality) -> None:
    assert modality(p, attempts) is expected


def step(code: str, how: Modality = Modality.INDEPENDENT_PRACTICE) -> PathStep:
    return PathStep(competency_id=code, modality=how, reason="r")


def test_diff_lists_added_and_removed_in_path_order() -> None:
    old = [step("a"), step("b"), step("c")]
    new = [step("c"), step("d", Modality.SMALL_GROUP_PROJECT), step("a"), step("e")]
    assert diff(old, new) == (["d", "e"], ["b"])
    assert diff(old, old) == ([], [])
    assert diff([], old) == (["a", "b", "c"], [])
