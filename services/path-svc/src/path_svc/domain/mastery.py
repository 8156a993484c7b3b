"""Bayesian Knowledge Tracing: the probability a student has mastered a competency.

Each observation updates the estimate in O(1) from the previous estimate
alone, so the projection never re-reads a student's history. Partial credit
(score / max_score) is treated as a fractional observation: the posterior is
the mix of the "correct" and "incorrect" posteriors weighted by the fraction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

MASTERED = 0.95
"""P(mastered) at or above which a competency counts as mastered."""
PROFICIENT = 0.7
"""P(mastered) from which a student is "proficient": mostly right, not yet reliably."""

Level = Literal["not_started", "familiar", "proficient", "mastered"]


def level(p_mastery: float, attempts: int) -> Level:
    """The readable band teachers and families see for an estimate."""
    if attempts <= 0:
        return "not_started"
    if p_mastery >= MASTERED:
        return "mastered"
    return "proficient" if p_mastery >= PROFICIENT else "familiar"


@dataclass(frozen=True, slots=True)
class BktParams:
    """The four BKT parameters plus forgetting, per competency."""

    p_init: float = 0.2
    p_learn: float = 0.15
    p_guess: float = 0.2
    p_slip: float = 0.1
    p_forget: float = 0.0

    def __post_init__(self) -> None:
        for name in ("p_init", "p_learn", "p_guess", "p_slip", "p_forget"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], not {value}")
        # Otherwise a correct answer would be evidence *against* mastery.
        if self.p_guess + self.p_slip >= 1.0:
            raise ValueError("p_guess + p_slip must be below 1")
        # Otherwise not knowing would lead to knowing more often than knowing does.
        if self.p_learn + self.p_forget > 1.0:
            raise ValueError("p_learn + p_forget must not exceed 1")


def observe(p: float, fraction: float, params: BktParams) -> float:
    """P(mastered) after one observation scored ``fraction`` (0 = wrong, 1 = right)."""
    f = min(max(fraction, 0.0), 1.0)
    right = p * (1.0 - params.p_slip)
    wrong = p * params.p_slip
    if_correct = _ratio(right, right + (1.0 - p) * params.p_guess, p)
    if_incorrect = _ratio(wrong, wrong + (1.0 - p) * (1.0 - params.p_guess), p)
    posterior = f * if_correct + (1.0 - f) * if_incorrect
    after = posterior * (1.0 - params.p_forget) + (1.0 - posterior) * params.p_learn
    return min(max(after, 0.0), 1.0)


def fraction(score: float, max_score: float) -> float:
    """The share of the points earned, as the observation's weight of "correct"."""
    return min(max(score / max_score, 0.0), 1.0) if max_score > 0 else 0.0


def _ratio(numerator: float, denominator: float, fallback: float) -> float:
    # A zero denominator means the observation was impossible under the model:
    # it carries no information, so the estimate stays where it was.
    return numerator / denominator if denominator > 0 else fallback


def retrace(fractions: Iterable[float], params: BktParams) -> tuple[float, bool]:
    """The estimate after ``fractions`` in order from the prior, and whether it ever
    reached the threshold: what the online updates would have given without the
    evidence that is no longer in the list (a voided result)."""
    p, mastered = params.p_init, False
    for f in fractions:
        p = observe(p, f, params)
        mastered = mastered or p >= MASTERED
    return p, mastered
