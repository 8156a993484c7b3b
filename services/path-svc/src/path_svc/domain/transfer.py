"""Fitting cross-competency transfer (R-PFA's idea) for the next-answer model.

A student's record on one competency says something about another beyond
their overall ability (shared sub-skills, prerequisites). For each
competency, a ridge regression on training students of what the pooled
model gets wrong (its residual) on the student's decayed record on every
other competency (``response.deviation``) gives a weight per other
competency; the strongest ``TOP`` are kept, so a prediction reads a bounded
number of them (O(1) in answers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from path_svc.domain.response import COUNT_KEEP

History = Mapping[str, Sequence[tuple[str, float]]]
Floats = npt.NDArray[np.float64]

RIDGE = 300.0
"""Ridge on the transfer weights, chosen on a validation split of training students."""
TOP = 30
"""Related competencies kept per competency."""


def deviations(history: History, skills: Sequence[str]) -> npt.NDArray[np.float32]:
    """Per answer (students sorted, answers in order), the student's record on every
    competency before it, as ``response.deviation`` computes it."""
    index = {s: i for i, s in enumerate(skills)}
    rows: list[npt.NDArray[np.float32]] = []
    for student in sorted(history):
        wins = np.zeros(len(skills))
        losses = np.zeros(len(skills))
        for skill, value in history[student]:
            k = index[skill]
            row = (wins - losses) / (wins + losses + 1.0)
            row[k] = 0.0
            rows.append(row.astype(np.float32))
            wins *= COUNT_KEEP
            losses *= COUNT_KEEP
            if value >= 0.5:
                wins[k] += 1.0
            else:
                losses[k] += 1.0
    return np.asarray(rows, dtype=np.float32).reshape(-1, len(skills))


def related(
    history: History,
    skills: Sequence[str],
    owner: npt.NDArray[np.int64],
    residual: Floats,
) -> dict[str, tuple[tuple[str, float], ...]]:
    """Per competency, its ``TOP`` related competencies and their weights."""
    d = deviations(history, skills)
    out: dict[str, tuple[tuple[str, float], ...]] = {}
    ridge = RIDGE * np.eye(len(skills))
    for i, skill in enumerate(skills):
        rows = owner == i
        if not rows.any():
            continue
        x = d[rows].astype(np.float64)
        weights = np.linalg.solve(x.T @ x + ridge, x.T @ residual[rows])
        weights[i] = 0.0
        best = np.argsort(-np.abs(weights), kind="stable")[:TOP]
        out[skill] = tuple((skills[j], float(weights[j])) for j in best if weights[j] != 0.0)
    return out
