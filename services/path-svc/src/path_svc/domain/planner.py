"""Which competencies a student works on next, and how each is taught.

The path is the *frontier* of the prerequisite graph: competencies not yet
mastered whose prerequisites all are. Weakest first, because that is where
help pays off most; ties go by code so the same estimates always give the
same path (replay compares paths row for row).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

from path_svc.domain.framework import Framework
from path_svc.domain.mastery import MASTERED
from pathwise_contracts import Modality, PathStep

PATH_LENGTH = 5
STUCK_ATTEMPTS = 4
"""Attempts after which persistently low mastery calls for a tutor."""
STUCK_BELOW = 0.4
NEW_BELOW = 0.3
PRACTICE_FROM = 0.7

_REASONS = {
    Modality.ONE_ON_ONE_TUTORING: (
        "Several attempts have not moved mastery much; one-on-one tutoring can find "
        "what is blocking progress."
    ),
    Modality.TEACHER_LED_INSTRUCTION: (
        "Mastery is still low and there is little evidence yet; teacher-led instruction "
        "introduces the idea."
    ),
    Modality.SMALL_GROUP_PROJECT: (
        "Mastery is developing; a small-group project builds understanding by applying it."
    ),
    Modality.INDEPENDENT_PRACTICE: ("Mastery is close; independent practice consolidates it."),
}


def modality(p_mastery: float, attempts: int) -> Modality:
    """How to teach a competency at this estimate and amount of evidence."""
    if attempts >= STUCK_ATTEMPTS and p_mastery < STUCK_BELOW:
        return Modality.ONE_ON_ONE_TUTORING
    if p_mastery < NEW_BELOW:
        return Modality.TEACHER_LED_INSTRUCTION
    if p_mastery < PRACTICE_FROM:
        return Modality.SMALL_GROUP_PROJECT
    return Modality.INDEPENDENT_PRACTICE


def frontier(framework: Framework, mastery: Mapping[str, float]) -> list[str]:
    """Unmastered competencies whose prerequisites are all mastered, weakest first."""
    p = {c.code: mastery.get(c.code, c.params.p_init) for c in framework.competencies}
    ready = [
        c.code
        for c in framework.competencies
        if p[c.code] < MASTERED and all(p[q] >= MASTERED for q in c.prerequisites)
    ]
    return sorted(ready, key=lambda code: (p[code], code))


def replan(
    framework: Framework, mastery: Mapping[str, float], attempts: Mapping[str, int]
) -> list[PathStep]:
    """The student's next steps (at most ``PATH_LENGTH``) given their estimates."""
    steps = []
    for code in frontier(framework, mastery)[:PATH_LENGTH]:
        p = mastery.get(code, framework[code].params.p_init)
        steps.append(_step(framework, code, modality(p, attempts.get(code, 0))))
    return steps


def diff(old: Sequence[PathStep], new: Sequence[PathStep]) -> tuple[list[str], list[str]]:
    """Competency ids added to and removed from the path, each in path order."""
    before = {s.competency_id for s in old}
    after = {s.competency_id for s in new}
    added = [s.competency_id for s in new if s.competency_id not in before]
    removed = [s.competency_id for s in old if s.competency_id not in after]
    return added, removed


@functools.cache
def _step(framework: Framework, code: str, how: Modality) -> PathStep:
    # Steps are immutable and few (competency x modality); building them once
    # keeps a replan per event cheap.
    prerequisites = framework.prerequisites(code)
    ready = (
        f"Its prerequisites ({', '.join(prerequisites)}) are mastered."
        if prerequisites
        else "It has no prerequisites."
    )
    return PathStep(competency_id=code, modality=how, reason=f"{ready} {_REASONS[how]}")
