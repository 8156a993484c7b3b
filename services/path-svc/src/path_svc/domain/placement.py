"""Grade placement: where a student's path starts in a framework that spans grades.

A grade-5 student planned over Common Core K-8 should not start at counting
to 100. Competencies of earlier grades are assumed already learned, with a
prior estimate at the mastery threshold, until evidence on them says
otherwise (a real estimate replaces the prior). Competencies of later grades
stay plannable (an advanced student reaches them) but rank after every piece
of current-grade work. A framework without grades (``Competency.grade`` is
None) or a student without a grade is left exactly as it was.

A function of (framework, grade) only, so the planner, the publishing of a
district's framework or a tool can all call it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from path_svc.domain.framework import Framework
from path_svc.domain.mastery import MASTERED

ASSUMED = MASTERED
"""Prior P(mastered) of an earlier grade's competency: counted as mastered, and a
single piece of contrary evidence takes it below the threshold."""
_KINDERGARTEN = {"k", "kg", "0", "00"}
_BEFORE_K = {"pk", "tk", "ps", "pr", "it", "-1"}


def grade_rank(grade: str | None) -> int | None:
    """An orderable number for a grade as rosters spell it ('K', 'KG', '05', '5', 'PK'),
    None where it cannot be placed (missing, 'HS', 'Other')."""
    if grade is None:
        return None
    g = grade.strip().lower()
    if g in _KINDERGARTEN:
        return 0
    if g in _BEFORE_K:
        return -1
    return int(g) if g.isdigit() and 0 < int(g) <= 13 else None


@dataclass(frozen=True, slots=True)
class Placement:
    """The student's grade applied to one framework."""

    grade: int | None
    earlier: frozenset[str] = frozenset()
    later: frozenset[str] = frozenset()

    def prior(self, code: str, default: float) -> float:
        """The estimate to plan with while there is no evidence on ``code``."""
        return max(default, ASSUMED) if code in self.earlier else default

    def tier(self, code: str) -> int:
        """0 for current-grade (and earlier-grade) work, 1 for a later grade's."""
        return 1 if code in self.later else 0


NOWHERE = Placement(None)


@functools.cache
def place(framework: Framework, grade: str | None) -> Placement:
    """Which competencies of ``framework`` are assumed prior and which come later for
    a student in ``grade`` (cached: frameworks are immutable and few)."""
    rank = grade_rank(grade)
    if rank is None:
        return NOWHERE
    earlier: set[str] = set()
    later: set[str] = set()
    for c in framework.competencies:
        own = grade_rank(c.grade)
        if own is None:
            continue
        if own < rank:
            earlier.add(c.code)
        elif own > rank:
            later.add(c.code)
    return Placement(rank, frozenset(earlier), frozenset(later))
