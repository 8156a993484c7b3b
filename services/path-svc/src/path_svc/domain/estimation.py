"""Fitting BKT parameters per skill from answer histories by EM (Baum-Welch).

The service updates mastery online in O(1) per answer (``mastery.observe``);
the parameters that update uses are learned offline here from history. All
skills are fitted at once: every (student, skill) answer sequence is a row,
rows are sorted by length so that at time step ``t`` the rows still running
are a prefix, and each step of the forward and backward passes is one numpy
operation over that prefix. A whole EM iteration is therefore a Python loop
over the longest sequence's length, not over answers, which makes a fit of
hundreds of thousands of answers take seconds.

Observations may be fractional (partial credit): as in the service's online
update, the posterior after a score fraction ``f`` is the mix, weighted by
``f``, of the posteriors after a right and after a wrong answer, and the answer
counts as ``f`` right and ``1 - f`` wrong in the M-step. Both are exact for
0/1 answers, so the fit and the service always run the same model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from path_svc.domain.mastery import BktParams

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

_EPS = 1e-6
MAX_GUESS = 0.3
"""Upper bound on guess: beyond it "knows" and "does not know" could swap meaning."""
MAX_SLIP = 0.3
MAX_FORGET = 0.2
PSEUDO = 2.0
"""Pseudo-observations pulling each skill toward the prior mean, so a skill with a
handful of answers gets sensible parameters instead of 0s and 1s."""


@dataclass(frozen=True, slots=True)
class Sequences:
    """Answer sequences in a time-major layout for vectorised passes.

    Row ``i`` is one (student, skill) sequence; rows are sorted by length,
    longest first. ``obs[offsets[t] : offsets[t] + active[t]]`` are the answers
    at step ``t`` of rows ``0 .. active[t] - 1``.
    """

    skills: tuple[str, ...]
    row_skill: Ints
    active: Ints
    offsets: Ints
    obs: Floats

    @classmethod
    def build(cls, rows: Sequence[tuple[str, Sequence[float]]]) -> Sequences:
        """From ``(skill, answers)`` rows; answers are fractions in [0, 1]."""
        rows = [r for r in rows if len(r[1])]
        skills = tuple(sorted({skill for skill, _ in rows}))
        index = {s: i for i, s in enumerate(skills)}
        order = sorted(range(len(rows)), key=lambda i: -len(rows[i][1]))
        lengths = np.array([len(rows[i][1]) for i in order], dtype=np.int64)
        longest = int(lengths[0]) if len(lengths) else 0
        active = np.array([(lengths > t).sum() for t in range(longest)], dtype=np.int64)
        offsets = np.concatenate(([0], np.cumsum(active)[:-1])).astype(np.int64)
        obs = np.empty(int(active.sum()), dtype=np.float64)
        for rank, i in enumerate(order):
            answers = np.clip(np.asarray(rows[i][1], dtype=np.float64), 0.0, 1.0)
            obs[offsets[: len(answers)] + rank] = answers
        row_skill = np.array([index[rows[i][0]] for i in order], dtype=np.int64)
        return cls(skills, row_skill, active, offsets, obs)

    def pooled(self) -> Sequences:
        """The same answers with every row under one skill, for a shared default."""
        return Sequences(("*",), np.zeros_like(self.row_skill), self.active, self.offsets, self.obs)

    @property
    def answers(self) -> int:
        return len(self.obs)


@dataclass(slots=True)
class Arrays:
    """One parameter set per skill, as arrays indexed by skill."""

    prior: Floats
    learn: Floats
    forget: Floats
    guess: Floats
    slip: Floats

    @classmethod
    def uniform(cls, n: int, start: BktParams) -> Arrays:
        def full(value: float) -> Floats:
            return np.full(n, value, dtype=np.float64)

        return cls(
            full(start.p_init),
            full(start.p_learn),
            full(start.p_forget),
            full(start.p_guess),
            full(start.p_slip),
        )

    def params(self, i: int) -> BktParams:
        return BktParams(
            p_init=float(self.prior[i]),
            p_learn=float(self.learn[i]),
            p_guess=float(self.guess[i]),
            p_slip=float(self.slip[i]),
            p_forget=float(self.forget[i]),
        )


@dataclass(frozen=True, slots=True)
class Fit:
    """Fitted parameters per skill, the pooled default, and how the fit went."""

    params: Mapping[str, BktParams]
    default: BktParams
    iterations: int
    log_likelihood: float
    answers: int


def forward(data: Sequences, p: Arrays) -> tuple[Floats, Floats, Floats]:
    """Per answer: P(known) before it, P(known) after it (filtered), and log P(answer)."""
    before = np.empty_like(data.obs)
    after = np.empty_like(data.obs)
    loglik = np.empty_like(data.obs)
    guess, slip, learn, forget = (
        p.guess[data.row_skill],
        p.slip[data.row_skill],
        p.learn[data.row_skill],
        p.forget[data.row_skill],
    )
    known = p.prior[data.row_skill].copy()
    for t, (start, n) in enumerate(zip(data.offsets, data.active, strict=True)):
        f = data.obs[start : start + n]
        k = known[:n]
        right = k * (1.0 - slip[:n])
        p_right = np.clip(right + (1.0 - k) * guess[:n], _EPS, 1.0 - _EPS)
        wrong = k * slip[:n]
        post = np.clip(f * (right / p_right) + (1.0 - f) * (wrong / (1.0 - p_right)), 0.0, 1.0)
        total = f * p_right + (1.0 - f) * (1.0 - p_right)
        before[start : start + n] = k
        after[start : start + n] = post
        loglik[start : start + n] = np.log(total)
        if t + 1 < len(data.active):
            m = int(data.active[t + 1])
            known = post[:m] * (1.0 - forget[:m]) + (1.0 - post[:m]) * learn[:m]
    return before, after, loglik


def predict(data: Sequences, p: Arrays) -> Floats:
    """P(right) for each answer from the answers before it in its sequence."""
    before, _, _ = forward(data, p)
    g, s = p.guess[data.row_skill], p.slip[data.row_skill]
    out = np.empty_like(before)
    for start, n in zip(data.offsets, data.active, strict=True):
        k = before[start : start + n]
        out[start : start + n] = k * (1.0 - s[:n]) + (1.0 - k) * g[:n]
    return out


def fit(
    rows: Sequence[tuple[str, Sequence[float]]],
    *,
    forgetting: bool = True,
    max_iterations: int = 40,
    tolerance: float = 1e-5,
    start: BktParams | None = None,
) -> Fit:
    """Fit per-skill parameters, plus a pooled default for skills without history."""
    data = Sequences.build(rows)
    if not data.answers:
        raise ValueError("no answers to fit")
    begin = start or BktParams(p_init=0.4, p_learn=0.1, p_guess=0.2, p_slip=0.1)
    pooled, _, _ = _em(data.pooled(), begin, forgetting, max_iterations, tolerance, None)
    default = pooled.params(0)
    arrays, iterations, loglik = _em(data, default, forgetting, max_iterations, tolerance, default)
    params = {skill: arrays.params(i) for i, skill in enumerate(data.skills)}
    return Fit(params, default, iterations, loglik, data.answers)


def _em(
    data: Sequences,
    start: BktParams,
    forgetting: bool,
    max_iterations: int,
    tolerance: float,
    toward: BktParams | None,
) -> tuple[Arrays, int, float]:
    k = len(data.skills)
    p = Arrays.uniform(k, start)
    if not forgetting:
        p.forget[:] = 0.0
    skill_of = _answer_skill(data)
    has_next = np.zeros(len(data.obs), dtype=np.float64)
    for t in range(len(data.active) - 1):
        has_next[int(data.offsets[t]) : int(data.offsets[t]) + int(data.active[t + 1])] = 1.0
    previous = -np.inf
    loglik = previous
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - reported after the loop
        before, after, answer_loglik = forward(data, p)
        loglik = float(answer_loglik.sum())
        gamma, to_known, from_known = _smooth(data, p, before, after)
        _maximise(data, p, (skill_of, has_next), (gamma, to_known, from_known), forgetting, toward)
        if abs(loglik - previous) <= tolerance * abs(loglik):
            break
        previous = loglik
    return p, iterations, loglik


def _smooth(
    data: Sequences, p: Arrays, before: Floats, after: Floats
) -> tuple[Floats, Floats, Floats]:
    """Smoothed P(known) per answer and expected transitions out of each state.

    Uses the two-state filter-smoother form: gamma_t follows from the filtered
    estimate at t and gamma_{t+1}. ``to_known[u]`` / ``from_known[u]`` are the
    expected unknown->known and known->unknown transitions after answer ``u``
    (zero at a sequence's last answer).
    """
    learn, forget = p.learn[data.row_skill], p.forget[data.row_skill]
    gamma = after.copy()
    to_known = np.zeros_like(after)
    from_known = np.zeros_like(after)
    for t in range(len(data.active) - 2, -1, -1):
        start, n = int(data.offsets[t]), int(data.active[t + 1])
        nxt = int(data.offsets[t + 1])
        post = after[start : start + n]
        predicted = np.clip(before[nxt : nxt + n], _EPS, 1.0 - _EPS)
        g_next = gamma[nxt : nxt + n]
        up = (1.0 - post) * learn[:n] * g_next / predicted
        down = post * forget[:n] * (1.0 - g_next) / (1.0 - predicted)
        stay = post * (1.0 - forget[:n]) * g_next / predicted
        gamma[start : start + n] = stay + down
        to_known[start : start + n] = up
        from_known[start : start + n] = down
    return gamma, to_known, from_known


def _maximise(
    data: Sequences,
    p: Arrays,
    layout: tuple[Ints, Floats],
    expected: tuple[Floats, Floats, Floats],
    forgetting: bool,
    toward: BktParams | None,
) -> None:
    """M-step per skill, with ``PSEUDO`` pseudo-counts toward ``toward`` if given."""
    k = len(data.skills)
    n_rows = len(data.row_skill)
    skill_of, has_next = layout
    gamma, to_known, from_known = expected

    def per_skill(weights: Floats, index: Ints = skill_of) -> Floats:
        return np.bincount(index, weights=weights, minlength=k).astype(np.float64)

    unknown = 1.0 - gamma
    first = gamma[:n_rows]
    ref = toward or BktParams(p_init=0.5, p_learn=0.1, p_guess=0.2, p_slip=0.1, p_forget=0.02)
    w = PSEUDO if toward is not None else 0.0

    def ratio(num: Floats, den: Floats, prior_mean: float) -> Floats:
        return np.asarray((num + w * prior_mean) / np.maximum(den + w, _EPS), dtype=np.float64)

    p.prior = _clip(
        ratio(
            per_skill(first, data.row_skill), per_skill(np.ones(n_rows), data.row_skill), ref.p_init
        ),
        1.0,
    )
    p.learn = _clip(ratio(per_skill(to_known), per_skill(unknown * has_next), ref.p_learn), 0.5)
    if forgetting:
        p.forget = _clip(
            ratio(per_skill(from_known), per_skill(gamma * has_next), ref.p_forget), MAX_FORGET
        )
    p.guess = _clip(
        ratio(per_skill(unknown * data.obs), per_skill(unknown), ref.p_guess), MAX_GUESS
    )
    p.slip = _clip(
        ratio(per_skill(gamma * (1.0 - data.obs)), per_skill(gamma), ref.p_slip), MAX_SLIP
    )


def _answer_skill(data: Sequences) -> Ints:
    out = np.empty(len(data.obs), dtype=np.int64)
    for start, n in zip(data.offsets, data.active, strict=True):
        out[start : start + n] = data.row_skill[:n]
    return out


def _clip(values: Floats, upper: float) -> Floats:
    return np.clip(values, _EPS, min(upper, 1.0 - _EPS))
