"""Flexible groups: sizes, modalities, accommodations and determinism."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from path_svc.domain.grouping import MAX_SIZE, MIN_SIZE, Member, split, suggest
from pathwise_contracts import Modality, PathStep

pytestmark = pytest.mark.unit


def member(
    i: int,
    code: str = "3.OA.A.1",
    how: Modality = Modality.SMALL_GROUP_PROJECT,
    requirements: tuple[str, ...] = (),
) -> Member:
    step = PathStep(competency_id=code, modality=how, reason="r")
    return Member(f"s-{i:02d}", step, requirements, p_mastery=i / 100)


@given(st.integers(min_value=0, max_value=200))
def test_every_candidate_is_placed_in_a_group_of_three_to_six(n: int) -> None:
    sizes = split(n)
    assert all(MIN_SIZE <= s <= MAX_SIZE for s in sizes)
    assert sum(sizes) == (n if n >= MIN_SIZE else 0)


def test_only_the_same_step_in_a_group_modality_groups() -> None:
    members = [member(i) for i in range(7)]
    members += [member(10 + i, how=Modality.INDEPENDENT_PRACTICE) for i in range(5)]
    members += [member(20 + i, code="3.OA.A.2") for i in range(2)]  # too few
    members.append(Member("s-none", None))
    groups = suggest(members)
    assert [len(g.student_ids) for g in groups] == [4, 3]
    assert {g.competency_id for g in groups} == {"3.OA.A.1"}
    assert groups[0].student_ids == ["s-00", "s-01", "s-02", "s-03"]  # closest estimates together


def test_accommodations_are_respected() -> None:
    required = ("small_group_instruction",)
    members = [member(i, requirements=required) for i in range(3)]  # a project would break it
    members += [member(10 + i, how=Modality.SMALL_GROUP_INSTRUCTION) for i in range(3)]
    [group] = suggest(members)
    assert group.modality is Modality.SMALL_GROUP_INSTRUCTION
    assert group.student_ids == ["s-10", "s-11", "s-12"]


def test_the_order_of_the_rows_does_not_matter() -> None:
    members = [member(i, code=f"3.OA.A.{i % 2 + 1}") for i in range(12)]
    assert suggest(members) == suggest(list(reversed(members)))
