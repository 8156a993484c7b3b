"""Flexible groups: students of a section who could learn their next step together.

A student is a candidate when the first step of their path is taught in a
group modality (small-group instruction or a small-group project) that their
plan's accommodations allow (a required modality, a forbidden one: see the
catalogue's ``grouping``); the planner already honours accommodations, and
the check is repeated here so a group never contradicts a plan. Candidates
with the same competency and modality are split into groups of ``MIN_SIZE``
to ``MAX_SIZE``, as even as possible, after ordering them by home language
(students with home-language materials sit next to peers sharing it, so they
tend to land in one group and share the materials), then by their estimate
(so a group's members stand close together) and then by id, so the same
planners always give the same groups. Fewer than ``MIN_SIZE`` make no group.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from path_svc.domain.accommodations import rules
from pathwise_contracts import Modality, PathStep, SuggestedGroup

MIN_SIZE = 3
MAX_SIZE = 6
GROUP_WAYS = (Modality.SMALL_GROUP_INSTRUCTION, Modality.SMALL_GROUP_PROJECT)


@dataclass(frozen=True, slots=True)
class Member:
    """What grouping needs to know about one student of the section."""

    student_id: str
    step: PathStep | None
    requirements: Sequence[str] = ()
    p_mastery: float = 0.0


def split(n: int) -> list[int]:
    """Sizes of the groups ``n`` candidates make: as even as possible, each 3 to 6."""
    if n < MIN_SIZE:
        return []
    k = math.ceil(n / MAX_SIZE)
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def suggest(members: Iterable[Member]) -> list[SuggestedGroup]:
    """The section's groups, ordered by competency, modality and first member."""
    pools: dict[tuple[str, Modality], list[Member]] = {}
    for m in members:
        if m.step is None or m.step.modality not in GROUP_WAYS:
            continue
        if not rules(m.requirements).permits(m.step.modality):
            continue
        pools.setdefault((m.step.competency_id, m.step.modality), []).append(m)
    out: list[SuggestedGroup] = []
    for (code, how), pool in sorted(pools.items()):
        ordered = sorted(pool, key=lambda m: (_language(m), m.p_mastery, m.student_id))
        start = 0
        for size in split(len(ordered)):
            ids = [m.student_id for m in ordered[start : start + size]]
            start += size
            out.append(SuggestedGroup(competency_id=code, modality=how, student_ids=ids))
    return out


def _language(m: Member) -> str:
    """The home language of the student's materials, "" when none is named."""
    return rules(m.requirements).language or ""
