"""The simulated trial over several seeds: means with 95% confidence intervals.

One seed is one simulated population and one set of draws; its figure per
arm is the population mean. Over seeds those means are independent, so the
interval is Student's t on them. Differences between arms are paired (the
same seed gives every arm the same students), which is why their intervals
are much narrower than the arms' own.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from path_svc.domain.framework import Framework
from path_svc.tools import trial

_T975 = {
    1: 12.706,
    2: 4.303,
    3: 3.182,
    4: 2.776,
    5: 2.571,
    6: 2.447,
    7: 2.365,
    8: 2.306,
    9: 2.262,
    10: 2.228,
    12: 2.179,
    15: 2.131,
    20: 2.086,
    30: 2.042,
    60: 2.000,
    120: 1.980,
}
"""Two-sided 95% quantiles of Student's t by degrees of freedom (between two: the lower)."""


@dataclass(frozen=True, slots=True)
class Interval:
    mean: float
    low: float
    high: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0


def t975(df: int) -> float:
    """The 97.5% quantile of t with ``df`` degrees of freedom, conservative between rows."""
    if df < 1:
        raise ValueError("an interval needs at least two values")
    fitting = [k for k in _T975 if k <= df]
    return _T975[max(fitting)] if df <= 120 else 1.960


def interval(values: Sequence[float]) -> Interval:
    """Mean and 95% confidence interval of independent ``values``."""
    mean = statistics.fmean(values)
    half = t975(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return Interval(round(mean, 3), round(mean - half, 3), round(mean + half, 3))


def run(
    students: int,
    weeks: int,
    seeds: Sequence[int],
    sessions_per_week: int = 3,
    framework: Framework | None = None,
) -> dict[str, Any]:
    """Every arm on each seed's population; intervals per arm and against Pathwise."""
    if len(seeds) < 2:
        raise ValueError("confidence intervals need at least 2 seeds")
    runs = [trial.run(students, weeks, seed, sessions_per_week, framework) for seed in seeds]
    arms = list(runs[0]["arms"])
    figures = ("mastered_mean", "learned_mean", "weeks_to_mastery", "sessions_per_mastery")
    per_arm = {
        arm: {f: interval([getattr(r["arms"][arm], f) for r in runs]) for f in figures}
        for arm in arms
    }
    gains = {
        arm: interval(
            [r["arms"]["pathwise"].learned_mean - r["arms"][arm].learned_mean for r in runs]
        )
        for arm in arms
        if arm != "pathwise"
    }
    return {
        "framework": runs[0]["framework"],
        "competencies": runs[0]["arms"][arms[0]].competencies,
        "students": students,
        "weeks": weeks,
        "sessions_per_week": sessions_per_week,
        "seeds": list(seeds),
        "arms": per_arm,
        "pathwise_gain": gains,
    }
