"""A simulated trial: Pathwise paths against one fixed sequence and against random order.

Each simulated student has a hidden truth per competency (BKT parameters
drawn around the framework's, shifted by the student's ability: individual
differences) and hidden per-student modality effects (how much each way of
teaching multiplies their chance to learn). A competency whose prerequisites
are not truly known is learned at a fraction of the rate, which is what makes
sequencing matter.

Both arms get the same students, the same number of practice sessions per
week and the same number of answers per session:

* **Pathwise**: each session works on the first step of the student's path,
  taught in the step's modality, and the results go through the real domain
  code: BKT (``mastery.observe``) and the ``Planner`` (frontier, Thompson
  sampling over the student's observed gains, replanning);
* **fixed**: the framework's order, independent practice, the same pacing for
  everyone (``PACE`` sessions per competency), whatever the student shows;
* **random**: the same pacing and practice as ``fixed``, the competencies in
  an order shuffled per student (what sequencing adds over none at all).

Outcomes are judged on the hidden truth: competencies truly known at the
end, those of them learned during the trial, the mean week in which they
were learned (time to mastery from the start), and the practice sessions
spent per competency learned.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from path_svc.domain import catalogue
from path_svc.domain.framework import Framework
from path_svc.domain.mastery import BktParams, observe
from path_svc.domain.planning import Planner
from pathwise_contracts import Modality

ANSWERS_PER_SESSION = 4
PACE = 2
"""Sessions per competency in the fixed sequence (a pacing guide)."""
UNREADY = 0.25
"""Share of the learning rate left when a prerequisite is not truly known."""
EFFECTS: dict[Modality, float] = {
    Modality.ONE_ON_ONE_TUTORING: 2.0,
    Modality.SMALL_GROUP_INSTRUCTION: 1.5,
    Modality.TEACHER_LED_INSTRUCTION: 1.3,
    Modality.PEER_TUTORING: 1.2,
    Modality.SMALL_GROUP_PROJECT: 1.3,
    Modality.INDEPENDENT_PRACTICE: 1.0,
    Modality.MASTERY_CHECK: 0.5,
}
"""Mean multiplier of the learning rate per modality; each student's own varies around it."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """One arm's results over the whole population."""

    arm: str
    students: int
    competencies: int
    mastered_mean: float
    mastery_rate: float
    learned_mean: float
    """Competencies learned during the trial (known at the end, not at the start)."""
    weeks_to_mastery: float
    sessions_per_mastery: float


@dataclass(slots=True)
class Truth:
    """A student's hidden state: what they know and how they learn."""

    params: dict[str, BktParams]
    effects: dict[Modality, float]
    known: dict[str, bool] = field(default_factory=dict)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def student(framework: Framework, rng: random.Random) -> Truth:
    """Draw one student's hidden parameters and starting knowledge."""
    ability = rng.gauss(0.0, 0.7)
    params: dict[str, BktParams] = {}
    for c in framework.competencies:
        base = c.params
        learn = _sigmoid(_logit(base.p_learn) + ability + rng.gauss(0.0, 0.4))
        init = _sigmoid(_logit(max(base.p_init, 0.01)) + ability + rng.gauss(0.0, 0.5))
        params[c.code] = BktParams(
            p_init=init,
            p_learn=min(learn, 0.9),
            p_guess=min(max(rng.gauss(base.p_guess, 0.05), 0.01), 0.4),
            p_slip=min(max(rng.gauss(base.p_slip, 0.03), 0.01), 0.3),
        )
    effects = {m: e * math.exp(rng.gauss(0.0, 0.3)) for m, e in EFFECTS.items()}
    truth = Truth(params, effects)
    truth.known = {c: rng.random() < p.p_init for c, p in params.items()}
    return truth


def _practise(
    framework: Framework,
    truth: Truth,
    code: str,
    how: Modality,
    p: float,
    rng: random.Random,
) -> tuple[float, bool]:
    """One session on ``code``: answers from the hidden state, learning between them;
    returns the estimate after it and whether the competency became known in it."""
    hidden = truth.params[code]
    ready = all(truth.known[q] for q in framework[code].prerequisites)
    learn = min(hidden.p_learn * truth.effects[how] * (1.0 if ready else UNREADY), 1.0)
    params = framework[code].params
    learned = False
    for _ in range(ANSWERS_PER_SESSION):
        knows = truth.known[code]
        right = rng.random() < (1.0 - hidden.p_slip if knows else hidden.p_guess)
        p = observe(p, 1.0 if right else 0.0, params)
        if not knows and rng.random() < learn:
            truth.known[code] = learned = True
    return p, learned


def _pathwise(
    framework: Framework, truth: Truth, sessions: int, rng: random.Random
) -> tuple[int, list[int]]:
    planner = Planner()
    p = {c.code: c.params.p_init for c in framework.competencies}
    attempts = dict.fromkeys(p, 0)
    learned_at: list[int] = []
    cause = uuid.UUID(int=rng.getrandbits(128))
    planner.replan(framework, cause, "the trial started")
    for n in range(sessions):
        if not planner.steps:
            break
        step = planner.steps[0]
        code = step.competency_id
        p[code], learned = _practise(framework, truth, code, step.modality, p[code], rng)
        if learned:
            learned_at.append(n)
        attempts[code] += ANSWERS_PER_SESSION
        cause = uuid.UUID(int=rng.getrandbits(128))
        planner.mastery(framework, code, p[code], attempts[code], cause)
    return sum(truth.known.values()), learned_at


def _fixed(
    framework: Framework, truth: Truth, sessions: int, rng: random.Random
) -> tuple[int, list[int]]:
    return _paced(framework, truth, sessions, rng, [c.code for c in framework.competencies])


def _random(
    framework: Framework, truth: Truth, sessions: int, rng: random.Random
) -> tuple[int, list[int]]:
    order = [c.code for c in framework.competencies]
    rng.shuffle(order)
    return _paced(framework, truth, sessions, rng, order)


def _paced(
    framework: Framework, truth: Truth, sessions: int, rng: random.Random, order: list[str]
) -> tuple[int, list[int]]:
    """``PACE`` sessions of independent practice per competency, in ``order``."""
    p = {c.code: c.params.p_init for c in framework.competencies}
    learned_at: list[int] = []
    for n in range(sessions):
        code = order[min(n // PACE, len(order) - 1)]  # the last one again once the guide ends
        p[code], learned = _practise(
            framework, truth, code, Modality.INDEPENDENT_PRACTICE, p[code], rng
        )
        if learned:
            learned_at.append(n)
    return sum(truth.known.values()), learned_at


def run(
    students: int,
    weeks: int,
    seed: int = 1,
    sessions_per_week: int = 3,
    framework: Framework | None = None,
) -> dict[str, Any]:
    """Run every arm on the same simulated population; figures per arm."""
    if students < 1 or weeks < 1 or sessions_per_week < 1:
        raise ValueError("students, weeks and sessions per week must be at least 1")
    fw = framework or catalogue.load_default()
    sessions = weeks * sessions_per_week
    arms = {"pathwise": _pathwise, "fixed": _fixed, "random": _random}
    totals: dict[str, list[int]] = {arm: [] for arm in arms}
    times: dict[str, list[int]] = {arm: [] for arm in arms}
    known_at_start = 0
    for i in range(students):
        population = random.Random(f"{seed}|student|{i}")
        truth = student(fw, population)
        start = dict(truth.known)
        known_at_start += sum(start.values())
        for arm, play in arms.items():
            truth.known = dict(start)
            mastered, learned_at = play(fw, truth, sessions, random.Random(f"{seed}|{arm}|{i}"))
            totals[arm].append(mastered)
            times[arm] += learned_at
    n = len(fw.competencies)
    outcomes = [
        Outcome(
            arm=arm,
            students=students,
            competencies=n,
            mastered_mean=round(sum(totals[arm]) / students, 3),
            mastery_rate=round(sum(totals[arm]) / (students * n), 4),
            learned_mean=round((sum(totals[arm]) - known_at_start) / students, 3),
            weeks_to_mastery=round(
                sum(t + 1 for t in times[arm]) / max(len(times[arm]), 1) / sessions_per_week, 3
            ),
            sessions_per_mastery=round(students * sessions / max(len(times[arm]), 1), 3),
        )
        for arm in arms
    ]
    return {
        "framework": fw.name,
        "students": students,
        "weeks": weeks,
        "sessions_per_week": sessions_per_week,
        "answers_per_session": ANSWERS_PER_SESSION,
        "seed": seed,
        "arms": {o.arm: o for o in outcomes},
    }
