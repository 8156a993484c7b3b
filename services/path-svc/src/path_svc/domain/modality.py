"""How a step is taught: the allowed modalities and the choice among them.

Three layers, each explainable on its own:

1. the estimate and attempts give the *situation* and its candidate
   modalities (several attempts below 40% call for tutoring; close to
   mastery calls for a mastery check or practice);
2. accommodations constrain them, and always win (``accommodations``): a
   plan requiring small-group instruction leaves only small-group
   instruction, a forbidden modality is never used, a modality the plan
   prefers is taken whenever the situation allows it; then modalities the
   student avoids, and after a low-confidence reflection the unsupported
   ones, are dropped unless nothing would be left;
3. among what is allowed, Thompson sampling over this student's observed
   mastery gains per modality (Beta posteriors) picks one, so the plan keeps
   learning what works for the student. Preferred modalities start with one
   pseudo-success. The random generator is seeded by the caller from the
   causing event's id, so a replay draws the same numbers.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from path_svc.domain.accommodations import restrict, rules
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

SUPPORTED = frozenset(
    {
        Modality.ONE_ON_ONE_TUTORING,
        Modality.SMALL_GROUP_INSTRUCTION,
        Modality.TEACHER_LED_INSTRUCTION,
        Modality.PEER_TUTORING,
    }
)
"""Modalities where an adult or a peer works alongside the student."""

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
    preferred_by: str | None = None
    """The plan's ``preferred_modality`` code that fixed the modality for this situation."""
    supported: bool = False
    """Whether low confidence narrowed the set to supported modalities."""


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
    unsure: bool = False,
) -> Allowed:
    """The modalities a step may use; the plan's hard constraints always win.

    ``unsure``: the student's recent reflection showed low confidence, so the
    supported modalities are kept when the situation offers any.
    """
    return _allowed(situation(p_mastery, attempts), tuple(requirements), tuple(avoided), unsure)


@functools.cache
def _allowed(
    where: Situation, requirements: tuple[str, ...], avoided: tuple[Modality, ...], unsure: bool
) -> Allowed:
    """``allowed`` for a situation (cached: every step of every plan asks, and the
    answer is an immutable function of these few values)."""
    r = rules(requirements)
    if r.only is not None:
        return Allowed((r.only,), where, r.only_by)
    candidates = restrict(CANDIDATES[where], r)
    first = next((m for m in r.preferred if m in candidates), None)
    if first is not None:  # the plan's preference is a rule, not a wish: it beats the rest
        return Allowed((first,), where, None, f"preferred_modality:{first.value}")
    kept = tuple(m for m in candidates if m not in avoided) or candidates
    supported = tuple(m for m in kept if m in SUPPORTED) if unsure else ()
    return Allowed(supported or kept, where, supported=bool(supported))


def complies(how: Modality, requirements: Sequence[str]) -> bool:
    """Whether teaching this way honours the hard constraints of the student's plan."""
    return rules(requirements).permits(how)


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
