"""Fitting the next-answer model (``response``) on training students.

Three steps, all on the training students only: BKT parameters per
competency by EM (``estimation``); each competency's difficulty from its share
of right answers; then the logistic weights. The inputs are produced by
walking every training student through ``response.features`` and
``response.update``, the very code the service runs, so the fit sees exactly
what the online model will see. Weights are fitted by Newton's method once
for all competencies, then per competency with an L2 pull toward the pooled
weights, so a competency with few answers keeps the pooled ones. Between
a first pooled fit and the final one, ``transfer`` fits which other
competencies' records each competency's answers follow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from path_svc.domain import estimation, evaluation, response, transfer

History = Mapping[str, Sequence[tuple[str, float]]]
Items = Mapping[str, Sequence[str | None]]
"""Per student, the item of each of their answers (None where unknown), in order."""
Floats = npt.NDArray[np.float64]

POOLED_L2 = 1e-3
"""Ridge on the pooled weights: only keeps Newton's steps finite."""
SKILL_L2 = 30.0
"""Pull of a competency's weights toward the pooled ones (in answers' worth)."""
SMOOTHING = 1.0
"""Pseudo-answers right and wrong added to each competency's share right."""
ITEM_PSEUDO = 5.0
"""Pseudo-answers at the pooled share added to each item's: a new item is average."""
NEWTON_STEPS = 25
SKILL_NEWTON_STEPS = 10


@dataclass(frozen=True, slots=True)
class ResponseFit:
    model: response.ResponseModel
    bkt: estimation.Fit
    answers: int


def fit(
    train: History, bkt: estimation.Fit | None = None, items: Items | None = None
) -> ResponseFit:
    """Fit the model on ``train``; ``bkt`` reuses an EM fit already made on it; with
    ``items``, each item's difficulty (KT-IDEM's idea, as an input of the logistic model)."""
    bkt = bkt or estimation.fit(evaluation.sequences(train))
    shares = _shares(train)
    pooled_share = _share(sum(r for r, _ in shares.values()), sum(n for _, n in shares.values()))
    zeros = (0.0,) * len(response.FEATURES)
    start = response.ResponseModel(
        {
            skill: response.SkillModel(bkt.params.get(skill, bkt.default), _share(r, n), zeros)
            for skill, (r, n) in shares.items()
        },
        response.SkillModel(bkt.default, pooled_share, zeros),
        _item_shares(train, items, pooled_share) if items else {},
    )
    x, y, skill_of, skills = design(start, train, items)
    pooled = newton(x, y, POOLED_L2, np.zeros(x.shape[1]), NEWTON_STEPS)
    residual = y - 1.0 / (1.0 + np.exp(-np.clip(x @ pooled, -30.0, 30.0)))
    links = transfer.related(train, skills, skill_of, residual)
    start = replace(
        start,
        skills={s: replace(m, related=links.get(s, ())) for s, m in start.skills.items()},
    )
    x, y, skill_of, skills = design(start, train, items)
    pooled = newton(x, y, POOLED_L2, np.zeros(x.shape[1]), NEWTON_STEPS)
    fitted = {}
    for i, skill in enumerate(skills):
        rows = skill_of == i
        w = newton(x[rows], y[rows], SKILL_L2, pooled, SKILL_NEWTON_STEPS)
        fitted[skill] = _with(start.skills[skill], w)
    model = response.ResponseModel(fitted, _with(start.default, pooled), start.items)
    return ResponseFit(model, bkt, len(y))


def design(
    model: response.ResponseModel, history: History, items: Items | None = None
) -> tuple[Floats, Floats, npt.NDArray[np.int64], tuple[str, ...]]:
    """Inputs and answers of every answer in ``history``, walked in each student's order."""
    skills = tuple(sorted({skill for answers in history.values() for skill, _ in answers}))
    index = {s: i for i, s in enumerate(skills)}
    rows: list[list[float]] = []
    answers: list[float] = []
    owner: list[int] = []
    for student in sorted(history):
        state = response.StudentState()
        named = items.get(student) if items else None
        for n, (skill, value) in enumerate(history[student]):
            item = named[n] if named is not None else None
            m = model.of(skill)
            rows.append(response.features(m, state, skill, model.item_offset(item, m)))
            answers.append(value)
            owner.append(index[skill])
            response.update(model, state, skill, value, item)
    x = np.asarray(rows, dtype=np.float64).reshape(-1, len(response.FEATURES))
    return x, np.asarray(answers, dtype=np.float64), np.asarray(owner, dtype=np.int64), skills


def newton(x: Floats, y: Floats, l2: float, toward: Floats, steps: int) -> Floats:
    """Logistic regression by Newton's method with an L2 pull toward ``toward``."""
    w = toward.astype(np.float64).copy()
    ridge = l2 * np.eye(x.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30.0, 30.0)))
        gradient = x.T @ (p - y) + l2 * (w - toward)
        hessian = (x * (p * (1.0 - p))[:, None]).T @ x + ridge
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-6:
            break
    return w


def _with(m: response.SkillModel, w: Floats) -> response.SkillModel:
    return replace(m, weights=tuple(float(v) for v in w))


def _shares(history: History) -> dict[str, tuple[float, int]]:
    out: dict[str, tuple[float, int]] = {}
    for answers in history.values():
        for skill, value in answers:
            right, n = out.get(skill, (0.0, 0))
            out[skill] = (right + value, n + 1)
    return out


def _item_shares(history: History, items: Items, pooled: float) -> dict[str, float]:
    counts: dict[str, tuple[float, int]] = {}
    for student, answers in history.items():
        for (_, value), item in zip(answers, items.get(student, ()), strict=False):
            if item is not None:
                right, n = counts.get(item, (0.0, 0))
                counts[item] = (right + value, n + 1)
    return {
        item: (right + ITEM_PSEUDO * pooled) / (n + ITEM_PSEUDO)
        for item, (right, n) in counts.items()
    }


def _share(right: float, n: int) -> float:
    return (right + SMOOTHING) / (n + 2.0 * SMOOTHING)
