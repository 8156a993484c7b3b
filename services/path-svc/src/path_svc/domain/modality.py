"""How a step is taught: the allowed modalities and the choice among them.

Three layers, each explainable on its own:

1. the estimate and attempts give the *situation* and its candidate
   modalities (several attempts below 40% call for tutoring; close to
   mastery calls for a mastery check or practice);
2. accommodations constrain them, and always win: a plan requiring
   small-group instruction leaves only small-group instruction; modalities the
   student avoids are dropped unless nothing would be left;
3. among what is allowed, Thompson sampling over this student's observed
   mastery gains per modality (Beta posteriors) picks one, so the plan keeps
   learning what works for the student. Preferred modalities start with one
   pseudo-success. The random generator is seeded by the caller from the
   causing event's id, so a replay draws the same numbers.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pathwise_contracts import Modality

STUCK_ATTEMPTS = 3
"""Attempts after which a persistently low estimate calls for a tutor."""
STUCK_BELOW = 0.4
NEW_BELOW = 0.3
CHECK_FROM = 0.8
"""Estimate from which a mastery check (or practice) is the next thing to do."""
GAIN_FOR_SUCCESS = 0.1
"""A mastery gain of this much after a step counts as one full success."""
PREFERENCE_BONUS = 1.0

Situation = Literal["stuck", "new", "developing", "near"]

CANDIDATES: Mapping[Situation, tuple[Modality, ...]] = {
    "stuck": (Modality.ONE_ON_ONE_TUTORING, Modality.SMALL_GROUP_INSTRUCTION),
    "new": (
        Modality.TEACHER_LED_INSTRUCTION,
        Modality.SMALL_GROUP_INSTRUCTION,
        Modality.PEER_TUTORING,
    ),
    "developing": (
        Modality.SMALL_GROUP_PROJECT,
        Modality.INDEPENDENT_PRACTICE,
        Modality.PEER_TUTORING,
        Modality.SMALL_GROUP_INSTRUCTION,
    ),
    "near": (Modality.MASTERY_CHECK, Modality.INDEPENDENT_PRACTICE),
}

REQUIRED: tuple[tuple[str, Modality], ...] = (
    ("small_group_instruction", Modality.SMALL_GROUP_INSTRUCTION),
    ("one_on_one_instruction", Modality.ONE_ON_ONE_TUTORING),
)
"""Plan requirements that fix the modality, in precedence order (the first present wins)."""

GROUP_MODALITIES = frozenset(
    {Modality.SMALL_GROUP_PROJECT, Modality.SMALL_GROUP_INSTRUCTION, Modality.PEER_TUTORING}
)

LABELS: Mapping[Modality, str] = {
    Modality.ONE_ON_ONE_TUTORING: "tutoring",
    Modality.SMALL_GROUP_PROJECT: "small-group project",
    Modality.INDEPENDENT_PRACTICE: "independent practice",
    Modality.TEACHER_LED_INSTRUCTION: "teacher-led instruction",
    Modality.PEER_TUTORING: "peer tutoring",
    Modality.SMALL_GROUP_INSTRUCTION: "small-group instruction",
    Modality.MASTERY_CHECK: "mastery check",
}


@dataclass(slots=True)
class Gains:
    """Beta posterior of "a step in this modality moves mastery" for one student."""

    alpha: float = 1.0
    beta: float = 1.0
    steps: int = 0

    def observe(self, gain: float) -> None:
        """Count one observation after a step: a gain of ``GAIN_FOR_SUCCESS`` or more is a
        full success, no gain (or a loss) a full failure, in between a fraction of each."""
        w = min(max(gain / GAIN_FOR_SUCCESS, 0.0), 1.0)
        self.alpha += w
        self.beta += 1.0 - w
        self.steps += 1

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)


@dataclass(frozen=True, slots=True)
class Allowed:
    """The modalities open to one step and why the set is what it is."""

    modalities: tuple[Modality, ...]
    situation: Situation
    required_by: str | None = None


def situation(p_mastery: float, attempts: int) -> Situation:
    """Where the student is on a competency, as far as teaching goes."""
    if attempts >= STUCK_ATTEMPTS and p_mastery < STUCK_BELOW:
        return "stuck"
    if attempts > 0 and p_mastery >= CHECK_FROM:
        return "near"
    if p_mastery < NEW_BELOW:
        return "new"
    return "developing"


def allowed(
    p_mastery: float,
    attempts: int,
    requirements: Sequence[str] = (),
    avoided: Sequence[Modality] = (),
) -> Allowed:
    """The modalities a step may use; a plan requirement always wins."""
    where = situation(p_mastery, attempts)
    for requirement, only in REQUIRED:
        if requirement in requirements:
            return Allowed((only,), where, requirement)
    candidates = CANDIDATES[where]
    kept = tuple(m for m in candidates if m not in avoided)
    return Allowed(kept or candidates, where)


def complies(how: Modality, requirements: Sequence[str]) -> bool:
    """Whether teaching this way honours the student's plan requirements."""
    for requirement, only in REQUIRED:
        if requirement in requirements:
            return how is only
    return True


def sample(
    choices: Sequence[Modality],
    gains: Mapping[Modality, Gains],
    preferred: Sequence[Modality],
    rng: random.Random,
) -> Modality:
    """Thompson sampling: draw each modality's success rate from its posterior, take the best.

    Draws happen in the order of ``choices`` so the same generator state gives
    the same pick; ties go to the earlier candidate.
    """
    best, best_draw = choices[0], -1.0
    for how in choices:
        g = gains.get(how, Gains())
        bonus = PREFERENCE_BONUS if how in preferred else 0.0
        draw = rng.betavariate(g.alpha + bonus, g.beta)
        if draw > best_draw:
            best, best_draw = how, draw
    return best


def options(planned: Modality, permitted: Sequence[Modality]) -> list[Modality]:
    """Up to three modalities a student may choose from: the planned one first, then
    the other permitted ones in their fixed order (so statistics moving a little
    does not reshuffle the offer and count as a new path)."""
    return [planned, *(m for m in permitted if m is not planned)][:3]
