"""One student's mastery estimates and how evidence, or its retraction, changes them.

The ``learning`` projection loads a ``Learner`` per student, feeds it the
batch's evidence in log order and writes back what changed. Planning is not
done here: it reads the resulting ``MasteryUpdated`` events from path-svc's
own topic, where they are ordered with profile changes and teachers'
overrides, so one log decides every path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from path_svc.domain.framework import Framework
from path_svc.domain.mastery import MASTERED, Level, fraction, level, observe, retrace


@dataclass(slots=True)
class Estimate:
    """Where a student stands on one competency."""

    p_mastery: float
    attempts: int = 0
    mastered: bool = False
    updated_at: datetime | None = None
    mastered_at: datetime | None = None
    """Time of the evidence with which the estimate first reached the threshold."""


@dataclass(frozen=True, slots=True)
class Change:
    """What one observation (or retraction) did to a competency's estimate."""

    competency_id: str
    previous: float
    p_mastery: float
    attempts: int
    newly_mastered: bool
    level: Level = "familiar"


@dataclass(slots=True)
class Learner:
    student_id: str
    estimates: dict[str, Estimate] = field(default_factory=dict)
    changed_competencies: set[str] = field(default_factory=set)

    def record(
        self,
        framework: Framework,
        competency_id: str,
        score: float,
        max_score: float,
        at: datetime,
    ) -> Change:
        """Apply one scored observation in O(1); raises ValueError for an unknown competency."""
        if competency_id not in framework:
            raise ValueError(f"competency {competency_id!r} is not in framework {framework.name!r}")
        params = framework[competency_id].params
        estimate = self.estimates.setdefault(competency_id, Estimate(params.p_init))
        previous = estimate.p_mastery
        estimate.p_mastery = observe(previous, fraction(score, max_score), params)
        estimate.attempts += 1
        estimate.updated_at = at
        newly_mastered = not estimate.mastered and estimate.p_mastery >= MASTERED
        estimate.mastered = estimate.mastered or newly_mastered
        if newly_mastered:
            estimate.mastered_at = at
        self.changed_competencies.add(competency_id)
        return Change(
            competency_id,
            previous,
            estimate.p_mastery,
            estimate.attempts,
            newly_mastered,
            level(estimate.p_mastery, estimate.attempts),
        )

    def recompute(
        self, framework: Framework, competency_id: str, remaining: Sequence[float], at: datetime
    ) -> Change:
        """Replace a competency's estimate by the trace of its ``remaining`` evidence.

        Used when a result is voided: BKT's update cannot be undone, but the
        remaining evidence, kept per assessment, re-runs in the original order
        to exactly the estimate the online updates would have reached without it.
        """
        params = framework[competency_id].params
        estimate = self.estimates.setdefault(competency_id, Estimate(params.p_init))
        previous = estimate.p_mastery
        was_mastered = estimate.mastered
        estimate.p_mastery, estimate.mastered = retrace(remaining, params)
        if not estimate.mastered:
            estimate.mastered_at = None
        elif not was_mastered:
            estimate.mastered_at = at
        estimate.attempts = len(remaining)
        estimate.updated_at = at
        self.changed_competencies.add(competency_id)
        return Change(
            competency_id,
            previous,
            estimate.p_mastery,
            estimate.attempts,
            False,
            level(estimate.p_mastery, estimate.attempts),
        )
