"""Offline work on the mastery model behind ``pathwise mastery fit|evaluate``.

The CLI commands stay thin: they parse arguments and print what these
functions return, so the same figures are reachable from tests and scripts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from path_svc.domain import estimation, evaluation
from path_svc.tools import history
from path_svc.tools.parameters import ParamsTable


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Held-out figures of one fit, and what it was fitted and tested on."""

    auc: float
    rmse: float
    train_students: int
    test_students: int
    train_answers: int
    test_answers: int
    fit_seconds: float
    iterations: int
    forgetting: bool


def fit(data: Path, *, forgetting: bool = True) -> ParamsTable:
    """Fit per-skill parameters on every student in ``data``."""
    answers = history.read(data)
    started = time.perf_counter()
    result = estimation.fit(evaluation.sequences(answers), forgetting=forgetting)
    return ParamsTable.from_fit(
        result,
        source=data.name,
        students=len(answers),
        forgetting=forgetting,
        fit_seconds=round(time.perf_counter() - started, 2),
    )


def evaluate(
    train: evaluation.History, test: evaluation.History, *, forgetting: bool = True
) -> Evaluation:
    """Fit on ``train``, predict every answer of ``test`` from the ones before it."""
    started = time.perf_counter()
    result = estimation.fit(evaluation.sequences(train), forgetting=forgetting)
    seconds = time.perf_counter() - started
    scores = evaluation.score(test, result.params, result.default)
    return Evaluation(
        auc=scores.auc,
        rmse=scores.rmse,
        train_students=len(train),
        test_students=len(test),
        train_answers=result.answers,
        test_answers=scores.answers,
        fit_seconds=seconds,
        iterations=result.iterations,
        forgetting=forgetting,
    )


def evaluate_files(
    train: Path, test: Path | None, *, split: float = 0.8, seed: int = 1, forgetting: bool = True
) -> Evaluation:
    """Evaluate on two files, or on one file split by student when ``test`` is None."""
    answers = history.read(train)
    if test is None:
        fit_on, test_on = evaluation.split_students(answers, split, seed)
    else:
        fit_on, test_on = answers, history.read(test)
    return evaluate(fit_on, test_on, forgetting=forgetting)
