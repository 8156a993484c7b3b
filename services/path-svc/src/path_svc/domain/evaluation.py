"""How well a mastery model predicts the next answer: AUC and RMSE on held-out students.

A model is judged the way it is used: for each answer of a student it never
saw, predict it from that student's earlier answers on the skill, then score
all predictions at once. Splitting by student (never by row) keeps a
student's later answers from leaking into the fit.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from path_svc.domain import response
from path_svc.domain.estimation import Arrays, Floats, Sequences, predict
from path_svc.domain.mastery import BktParams

History = Mapping[str, Sequence[tuple[str, float]]]
"""Per student, their answers in order as ``(skill, fraction right)``."""


@dataclass(frozen=True, slots=True)
class Scores:
    auc: float
    rmse: float
    answers: int


def split_students(history: History, share: float, seed: int) -> tuple[History, History]:
    """Students shuffled by ``seed``; the first ``share`` of them train, the rest test."""
    if not 0.0 < share < 1.0:
        raise ValueError(f"the training share must be between 0 and 1, not {share}")
    students = sorted(history)
    random.Random(seed).shuffle(students)
    cut = round(len(students) * share)
    return (
        {s: history[s] for s in students[:cut]},
        {s: history[s] for s in students[cut:]},
    )


def sequences(history: History) -> list[tuple[str, list[float]]]:
    """One ``(skill, answers)`` row per (student, skill), answers in order."""
    rows: dict[tuple[str, str], list[float]] = {}
    for student in sorted(history):
        for skill, value in history[student]:
            rows.setdefault((student, skill), []).append(value)
    return [(skill, answers) for (_, skill), answers in rows.items()]


def score(history: History, params: Mapping[str, BktParams], default: BktParams) -> Scores:
    """AUC and RMSE of next-answer predictions on ``history``."""
    data = Sequences.build(sequences(history))
    chosen = [params.get(skill, default) for skill in data.skills]
    arrays = Arrays(
        *(
            np.array([getattr(p, name) for p in chosen], dtype=np.float64)
            for name in ("p_init", "p_learn", "p_forget", "p_guess", "p_slip")
        )
    )
    predicted = predict(data, arrays)
    return Scores(auc(data.obs >= 0.5, predicted), rmse(data.obs, predicted), data.answers)


def score_response(
    history: History,
    model: response.ResponseModel,
    items: Mapping[str, Sequence[str | None]] | None = None,
) -> Scores:
    """AUC and RMSE of the combined model, each answer predicted before it is seen."""
    truth: list[float] = []
    predicted: list[float] = []
    for student in sorted(history):
        truth.extend(value for _, value in history[student])
        named = items.get(student) if items else None
        predicted.extend(response.walk(model, history[student], items=named))
    y, p = np.asarray(truth, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    return Scores(auc(y >= 0.5, p), rmse(y, p), len(y))


def auc(labels: np.ndarray, scores: Floats) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties counted as half)."""
    positive = np.asarray(labels, dtype=bool)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUC needs both right and wrong answers")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    # Average rank within each run of equal scores.
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], len(scores)]
    average = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(average, ends - starts)
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def rmse(truth: Floats, predicted: Floats) -> float:
    return float(np.sqrt(np.mean((truth - predicted) ** 2)))
