"""One student's learning state and how a piece of evidence changes it.

The projection loads a ``Learner`` per student, feeds it the batch's evidence
in log order and writes back what changed; every decision is made here, on
plain values, so it is the same on a live run and on replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from path_svc.domain.framework import Framework
from path_svc.domain.mastery import MASTERED, Level, fraction, level, observe
from path_svc.domain.planner import diff, replan
from pathwise_contracts import PathStep


@dataclass(slots=True)
class Estimate:
    """Where a student stands on one competency."""

    p_mastery: float
    attempts: int = 0
    mastered: bool = False
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Replan:
    version: int
    steps: list[PathStep]
    added: list[str]
    removed: list[str]
    reason: str


@dataclass(frozen=True, slots=True)
class Change:
    """What one observation did: the new estimate and, when they happened,
    the first crossing of the mastery threshold and a new path."""

    competency_id: str
    previous: float
    p_mastery: float
    newly_mastered: bool
    replan: Replan | None
    level: Level = "familiar"


@dataclass(slots=True)
class Learner:
    student_id: str
    estimates: dict[str, Estimate] = field(default_factory=dict)
    path_version: int = 0
    steps: list[PathStep] = field(default_factory=list)
    path_updated_at: datetime | None = None
    changed_competencies: set[str] = field(default_factory=set)
    path_changed: bool = False

    def record(
        self,
        framework: Framework,
        competency_id: str,
        score: float,
        max_score: float,
        at: datetime,
    ) -> Change:
        """Apply one scored observation; raises ValueError for an unknown competency."""
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
        self.changed_competencies.add(competency_id)
        return Change(
            competency_id,
            previous,
            estimate.p_mastery,
            newly_mastered,
            self._replan(framework, competency_id, newly_mastered, at),
            level(estimate.p_mastery, estimate.attempts),
        )

    def _replan(
        self, framework: Framework, cause: str, newly_mastered: bool, at: datetime
    ) -> Replan | None:
        steps = replan(
            framework,
            {c: e.p_mastery for c, e in self.estimates.items()},
            {c: e.attempts for c, e in self.estimates.items()},
        )
        if steps == self.steps:
            return None
        added, removed = diff(self.steps, steps)
        self.path_version += 1
        self.steps = steps
        self.path_updated_at = at
        self.path_changed = True
        return Replan(
            self.path_version, steps, added, removed, _why(cause, newly_mastered, added, removed)
        )


def _why(cause: str, newly_mastered: bool, added: list[str], removed: list[str]) -> str:
    what = f"{cause} was mastered" if newly_mastered else f"new evidence on {cause}"
    parts = [
        f"{label} {', '.join(codes)}"
        for label, codes in (("added", added), ("removed", removed))
        if codes
    ]
    changes = "; ".join(parts) or "steps reordered or teaching changed"
    return f"Replanned after {what}: {changes}."
