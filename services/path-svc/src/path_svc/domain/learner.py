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

from path_svc.domain import response
from path_svc.domain.framework import Framework
from path_svc.domain.mastery import MASTERED, Level, fraction, level, observe, retrace
from path_svc.domain.response import ResponseModel, StudentState


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
    p_correct: float | None = None
    """The combined model's P(right) for the next answer on the competency."""


@dataclass(slots=True)
class Learner:
    student_id: str
    estimates: dict[str, Estimate] = field(default_factory=dict)
    changed_competencies: set[str] = field(default_factory=set)
    answers: StudentState = field(default_factory=StudentState)
    """The next-answer model's state across competencies (``response``)."""
    answers_changed: bool = False

    def record(
        self,
        framework: Framework,
        competency_id: str,
        score: float,
        max_score: float,
        at: datetime,
        model: ResponseModel | None = None,
    ) -> Change:
        """Apply one scored observation in O(1); raises ValueError for an unknown competency.

        With ``model``, the next-answer state takes the observation too (also O(1)) and
        the change carries the model's prediction for the next answer."""
        if competency_id not in framework:
            raise ValueError(f"competency {competency_id!r} is not in framework {framework.name!r}")
        params = framework[competency_id].params
        estimate = self.estimates.get(competency_id)
        if estimate is None:
            estimate = self.estimates[competency_id] = Estimate(params.p_init)
        previous = estimate.p_mastery
        value = fraction(score, max_score)
        estimate.p_mastery = observe(previous, value, params)
        estimate.attempts += 1
        estimate.updated_at = at
        newly_mastered = not estimate.mastered and estimate.p_mastery >= MASTERED
        if newly_mastered:
            estimate.mastered = True
            estimate.mastered_at = at
        self.changed_competencies.add(competency_id)
        p_correct = None
        if model is not None:
            response.update(model, self.answers, competency_id, value)
            self.answers_changed = True
            p_correct = response.predict(model, self.answers, competency_id)
        return Change(
            competency_id,
            previous,
            estimate.p_mastery,
            estimate.attempts,
            newly_mastered,
            level(estimate.p_mastery, estimate.attempts),
            p_correct,
        )

    def rewalk(
        self, model: ResponseModel, evidence: Sequence[tuple[str, float]], competency_id: str
    ) -> float:
        """Rebuild the next-answer state from the student's remaining ``evidence`` (all
        competencies, log order) after a void; the new prediction on ``competency_id``.

        The state mixes competencies, so unlike BKT it cannot be re-run for one
        alone; voids are rare, and this gives exactly the state the online
        updates would have reached without the voided result."""
        self.answers = StudentState()
        for code, value in evidence:
            response.update(model, self.answers, code, value)
        self.answers_changed = True
        return response.predict(model, self.answers, competency_id)

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
