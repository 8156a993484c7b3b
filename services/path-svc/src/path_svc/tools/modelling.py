"""Offline work on the mastery model behind ``pathwise mastery fit|evaluate``.

The CLI commands stay thin: they parse arguments and print what these
functions return, so the same figures are reachable from tests and scripts.
Both models are fitted on the same training students and judged on the same
held-out answers: BKT alone (what the service ran before) and the combined
next-answer model (``domain.response``), which reuses that BKT fit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from path_svc.domain import estimation, evaluation, response_fit
from path_svc.tools import history
from path_svc.tools.parameters import ParamsTable, ResponseTable


@dataclass(frozen=True, slots=True)
class Figures:
    """Held-out figures of one model."""

    auc: float
    rmse: float
    fit_seconds: float


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Held-out figures of both models, and what they were fitted and tested on."""

    bkt: Figures
    combined: Figures
    train_students: int
    test_students: int
    train_answers: int
    test_answers: int
    iterations: int
    forgetting: bool
    seed: int | None = None


def fit(data: Path, *, forgetting: bool = True) -> tuple[ParamsTable, ResponseTable]:
    """Fit BKT per skill and the combined model on every student in ``data``."""
    answers, items = history.read(data), history.read_items(data)
    started = time.perf_counter()
    bkt = estimation.fit(evaluation.sequences(answers), forgetting=forgetting)
    bkt_seconds = time.perf_counter() - started
    combined = response_fit.fit(answers, bkt, items)
    meta = {
        "source": data.name,
        "students": len(answers),
        "forgetting": forgetting,
    }
    return (
        ParamsTable.from_fit(bkt, **meta, fit_seconds=round(bkt_seconds, 2)),
        ResponseTable(
            combined.model,
            {**meta, "answers": combined.answers, "fit_seconds": _since(started)},
        ),
    )


def evaluate(
    train: evaluation.History,
    test: evaluation.History,
    *,
    forgetting: bool = True,
    seed: int | None = None,
    items: tuple[response_fit.Items | None, response_fit.Items | None] = (None, None),
) -> Evaluation:
    """Fit on ``train``, predict every answer of ``test`` from the ones before it.

    ``items`` (of the training and of the test students) gives item
    difficulties, fitted on the training students only."""
    started = time.perf_counter()
    bkt = estimation.fit(evaluation.sequences(train), forgetting=forgetting)
    bkt_seconds = time.perf_counter() - started
    combined = response_fit.fit(train, bkt, items[0])
    combined_seconds = time.perf_counter() - started
    old = evaluation.score(test, bkt.params, bkt.default)
    new = evaluation.score_response(test, combined.model, items[1])
    return Evaluation(
        bkt=Figures(old.auc, old.rmse, round(bkt_seconds, 2)),
        combined=Figures(new.auc, new.rmse, round(combined_seconds, 2)),
        train_students=len(train),
        test_students=len(test),
        train_answers=bkt.answers,
        test_answers=old.answers,
        iterations=bkt.iterations,
        forgetting=forgetting,
        seed=seed,
    )


def evaluate_files(
    train: Path, test: Path | None, *, split: float = 0.8, seed: int = 1, forgetting: bool = True
) -> Evaluation:
    """Evaluate on two files, or on one file split by student when ``test`` is None."""
    answers, items = history.read(train), history.read_items(train)
    if test is None:
        fit_on, test_on = evaluation.split_students(answers, split, seed)
        return evaluate(
            fit_on, test_on, forgetting=forgetting, seed=seed, items=_split(items, fit_on, test_on)
        )
    # Each file's items go with its own answers (the files may share student ids).
    return evaluate(
        answers,
        history.read(test),
        forgetting=forgetting,
        items=(items, history.read_items(test)),
    )


def evaluate_seeds(
    train: Path, seeds: list[int], *, split: float = 0.8, forgetting: bool = True
) -> list[Evaluation]:
    """One by-student split per seed: how much the figures move with the split."""
    answers, items = history.read(train), history.read_items(train)
    out = []
    for seed in seeds:
        fit_on, test_on = evaluation.split_students(answers, split, seed)
        parts = _split(items, fit_on, test_on)
        out.append(evaluate(fit_on, test_on, forgetting=forgetting, seed=seed, items=parts))
    return out


def _split(
    items: response_fit.Items | None, train: evaluation.History, test: evaluation.History
) -> tuple[response_fit.Items | None, response_fit.Items | None]:
    if items is None:
        return None, None
    return {s: items[s] for s in train}, {s: items[s] for s in test}


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 2)
