"""Predicting a student's next answer: BKT, student ability and recency, combined.

BKT (``mastery``) knows one competency at a time and treats every student
alike. Held-out answers are predicted better when it is combined, by a
logistic model fitted per competency, with what the log says about the
student across competencies and about the competency across students:

* the student's **ability**, an Elo rating over every answer with an update
  step that shrinks as answers accumulate (Elo with uncertainty), against the
  competency's **difficulty** (logit of the share right among training
  students);
* a per-student **learning-rate offset**: an Elo rating of how far the
  student runs ahead of BKT's prediction (they learn faster or slower than the
  competency's learn rate says);
* the **item's difficulty** relative to its competency's, where answers name
  their item (log-odds of the item's share right among training students);
* recency on the competency (runs of right and wrong answers, moving
  averages) and across competencies, and whether the answer opens a switch to
  another competency.

Every update is O(1): the state is a few numbers per student and per
(student, competency), never the history. The weights come from
``response_fit``; this module is pure and imports no numpy.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from path_svc.domain.mastery import BktParams, observe

FEATURES = (
    "bias",
    "bkt",
    "ability",
    "difficulty",
    "learning_offset",
    "recent",
    "recent_fast",
    "attempts",
    "recent_overall",
    "known",
    "right_run_1",
    "right_run_2",
    "right_run_3",
    "wrong_run_1",
    "wrong_run_2",
    "wrong_run_3",
    "first_attempt",
    "switched",
    "right_run_log",
    "wrong_run_log",
    "recent_slow",
    "overall_fast",
    "overall_slow",
    "item_difficulty",
    "answered_log",
    "last_overall",
    "gap_log",
    "rate_decayed",
    "wins_log",
    "losses_log",
    "transfer",
)
"""The model's inputs, in the order of a competency's ``weights``."""

ABILITY_STEP = 1.0
"""Elo step of the ability at the first answer; it shrinks as ``1 / (1 + ABILITY_DECAY n)``."""
ABILITY_DECAY = 0.05
OFFSET_STEP = 0.5
OFFSET_DECAY = 0.1
OVERALL_KEEP = 0.9
"""Weight of the past in the moving average of answers across competencies."""
RECENT_KEEP = 0.7
FAST_KEEP = 0.3
COUNT_KEEP = 0.9
"""Decay per answer (on any competency) of the right and wrong counts per competency."""
_CLAMP = 1e-4


@dataclass(frozen=True, slots=True)
class SkillModel:
    """What the model knows about one competency: BKT, difficulty and weights."""

    bkt: BktParams
    share_right: float
    """Share of answers right among training students (smoothed)."""
    weights: tuple[float, ...]
    related: tuple[tuple[str, float], ...] = ()
    """Transfer: (other competency, weight of the student's record on it), fitted by
    ``transfer`` on training students; empty where unknown (a framework's competencies)."""

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"weights must have {len(FEATURES)} entries, not {len(self.weights)}")
        if not 0.0 < self.share_right < 1.0:
            raise ValueError(f"share_right must be within (0, 1), not {self.share_right}")

    @property
    def difficulty(self) -> float:
        return _difficulty(self.share_right)


@dataclass(frozen=True, slots=True)
class ResponseModel:
    """Per-competency models and the pooled default for competencies without data."""

    skills: Mapping[str, SkillModel]
    default: SkillModel
    items: Mapping[str, float] = field(default_factory=dict)
    """Share right per item among training students (smoothed), where items are known."""

    def of(self, skill: str) -> SkillModel:
        return self.skills.get(skill, self.default)

    def item_offset(self, item: str | None, skill: SkillModel) -> float:
        """How much harder (below 0) or easier the item is than its competency, in log-odds."""
        share = self.items.get(item) if item is not None else None
        return 0.0 if share is None else logit(share) - skill.difficulty


@dataclass(slots=True)
class SkillState:
    """One student on one competency: O(1) in the number of answers."""

    known: float
    recent: float
    recent_fast: float
    recent_slow: float = 0.5
    attempts: int = 0
    right_run: int = 0
    wrong_run: int = 0
    wins: float = 0.0
    """Right answers, each decayed by ``COUNT_KEEP`` per answer since (as of ``seen_at``)."""
    losses: float = 0.0
    seen_at: int = 0
    """The student's answer count just after this competency was last answered."""

    def counts(self, now: int) -> tuple[float, float]:
        """Decayed right and wrong counts as of the student's ``now``-th answer."""
        keep = COUNT_KEEP ** (now - self.seen_at)
        return self.wins * keep, self.losses * keep


@dataclass(slots=True)
class StudentState:
    """One student across competencies; ``skills`` grows with competencies, not answers."""

    ability: float = 0.0
    learning_offset: float = 0.0
    answered: int = 0
    recent_overall: float = 0.0
    overall_fast: float = 0.0
    overall_slow: float = 0.0
    last_skill: str | None = None
    last_right: float = 0.5
    skills: dict[str, SkillState] = field(default_factory=dict)

    def on(self, skill: str, model: SkillModel) -> SkillState:
        state = self.skills.get(skill)
        if state is None:
            share = model.share_right
            state = self.skills[skill] = SkillState(model.bkt.p_init, share, share, share)
        return state


def logit(p: float) -> float:
    q = min(max(p, _CLAMP), 1.0 - _CLAMP)
    return math.log(q / (1.0 - q))


@functools.cache
def _difficulty(share_right: float) -> float:
    """``logit`` of a share, kept: every prediction and update asks for it."""
    return logit(share_right)


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def bkt_right(known: float, params: BktParams) -> float:
    """BKT's P(right) for a student who knows the competency with probability ``known``."""
    return known * (1.0 - params.p_slip) + (1.0 - known) * params.p_guess


def features(
    model: SkillModel, student: StudentState, skill: str, item_offset: float = 0.0
) -> list[float]:
    """The inputs for the next answer on ``skill``, from the state before it (in
    ``FEATURES`` order; written out flat because the projection predicts every answer)."""
    s = student.skills.get(skill)
    last = student.last_skill
    switched = 1.0 if last is not None and last != skill else 0.0
    now = student.answered
    if s is None:  # never answered: the competency's priors, no record
        known = model.bkt.p_init
        return [
            *(1.0, logit(bkt_right(known, model.bkt)), student.ability, model.difficulty),
            *(student.learning_offset, 0.0, 0.0, 0.0, student.recent_overall, logit(known)),
            *(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, switched, 0.0, 0.0, 0.0),
            *(student.overall_fast, student.overall_slow, item_offset),
            *(math.log1p(now), student.last_right, 0.0, 0.5, 0.0, 0.0),
            transfer(model, student, skill),
        ]
    share, known, attempts = model.share_right, s.known, s.attempts
    right_run, wrong_run = min(s.right_run, 3), min(s.wrong_run, 3)
    wins, losses = s.counts(now)
    return [
        *(1.0, logit(bkt_right(known, model.bkt)), student.ability, model.difficulty),
        *(student.learning_offset, s.recent - share, s.recent_fast - share),
        *(math.log1p(attempts), student.recent_overall, logit(known)),
        *(1.0 if right_run == 1 else 0.0, 1.0 if right_run == 2 else 0.0),
        *(1.0 if right_run == 3 else 0.0, 1.0 if wrong_run == 1 else 0.0),
        *(1.0 if wrong_run == 2 else 0.0, 1.0 if wrong_run == 3 else 0.0),
        *(0.0 if attempts else 1.0, switched),
        *(math.log1p(s.right_run), math.log1p(s.wrong_run), s.recent_slow - share),
        *(student.overall_fast, student.overall_slow, item_offset),
        # Best-LR's counts: answers so far, last answer, gap, decayed record here.
        *(math.log1p(now), student.last_right),
        math.log1p(now - s.seen_at + 1 if attempts else 0),
        *((wins + 1.0) / (wins + losses + 2.0), math.log1p(wins), math.log1p(losses)),
        transfer(model, student, skill),
    ]


def deviation(state: SkillState, now: int) -> float:
    """How far the student's decayed record on a competency leans right (>0) or wrong."""
    wins, losses = state.counts(now)
    return (wins - losses) / (wins + losses + 1.0)


def transfer(model: SkillModel, student: StudentState, skill: str) -> float:
    """The student's record on the competencies related to ``skill`` (R-PFA's idea), O(1)
    in answers: bounded by the fitted related competencies."""
    total = 0.0
    for other, weight in model.related:
        state = student.skills.get(other)
        if state is not None and other != skill:
            total += weight * deviation(state, student.answered)
    return total


def combine(weights: Sequence[float], inputs: Sequence[float]) -> float:
    if len(weights) != len(inputs):
        raise ValueError(f"{len(inputs)} inputs for {len(weights)} weights")
    return sigmoid(sum(map(operator.mul, weights, inputs)))


def predict(
    model: ResponseModel, student: StudentState, skill: str, item: str | None = None
) -> float:
    """P(the next answer on ``skill`` (on ``item``, if known) is right), before it is seen."""
    m = model.of(skill)
    return combine(m.weights, features(m, student, skill, model.item_offset(item, m)))


def update(
    model: ResponseModel,
    student: StudentState,
    skill: str,
    fraction: float,
    item: str | None = None,
) -> None:
    """Take one answer scored ``fraction`` (0 wrong .. 1 right) into the state, in O(1)."""
    m = model.of(skill)
    y = min(max(fraction, 0.0), 1.0)
    s = student.on(skill, m)
    wins, losses = s.counts(student.answered)
    s.wins = wins * COUNT_KEEP + (1.0 if y >= 0.5 else 0.0)
    s.losses = losses * COUNT_KEEP + (0.0 if y >= 0.5 else 1.0)
    s.seen_at = student.answered + 1
    student.last_right = y
    expected = sigmoid(student.ability + m.difficulty + model.item_offset(item, m))
    student.ability += ABILITY_STEP / (1.0 + ABILITY_DECAY * student.answered) * (y - expected)
    ahead = sigmoid(logit(bkt_right(s.known, m.bkt)) + student.learning_offset)
    student.learning_offset += OFFSET_STEP / (1.0 + OFFSET_DECAY * student.answered) * (y - ahead)
    student.answered += 1
    student.recent_overall = OVERALL_KEEP * student.recent_overall + (1.0 - OVERALL_KEEP) * (
        2.0 * y - 1.0
    )
    student.overall_fast = 0.5 * student.overall_fast + 0.5 * (2.0 * y - 1.0)
    student.overall_slow = 0.98 * student.overall_slow + 0.02 * (2.0 * y - 1.0)
    student.last_skill = skill
    s.recent_slow = 0.9 * s.recent_slow + 0.1 * y
    s.known = observe(s.known, y, m.bkt)
    s.recent = RECENT_KEEP * s.recent + (1.0 - RECENT_KEEP) * y
    s.recent_fast = FAST_KEEP * s.recent_fast + (1.0 - FAST_KEEP) * y
    s.attempts += 1
    right = y >= 0.5
    s.right_run = s.right_run + 1 if right else 0
    s.wrong_run = 0 if right else s.wrong_run + 1


def walk(
    model: ResponseModel,
    answers: Sequence[tuple[str, float]],
    student: StudentState | None = None,
    items: Sequence[str | None] | None = None,
) -> list[float]:
    """P(right) of each answer from the ones before it: how the model is judged and used.
    ``items`` names each answer's item where the data has them."""
    state = student or StudentState()
    out: list[float] = []
    for n, (skill, value) in enumerate(answers):
        item = items[n] if items is not None else None
        out.append(predict(model, state, skill, item))
        update(model, state, skill, value, item)
    return out


_SKILL_FIELDS = tuple(f.name for f in fields(SkillState))
_STUDENT_FIELDS = tuple(f.name for f in fields(StudentState) if f.name != "skills")


def dump(student: StudentState) -> dict[str, Any]:
    """The state as JSON-ready data: per competency a list in ``SkillState``'s field order
    (a K-8 framework has hundreds of competencies). Floats round-trip exactly through
    JSON. Built field by field, not with ``asdict``, which deep-copies. The projection
    stores ``pack``'s arrays instead (migration 0011 turned stored documents into them)."""
    data: dict[str, Any] = {name: getattr(student, name) for name in _STUDENT_FIELDS}
    data["skills"] = {
        code: [getattr(state, name) for name in _SKILL_FIELDS]
        for code, state in sorted(student.skills.items())
    }
    return data


def load(data: dict[str, Any]) -> StudentState:
    """The state back from ``dump``; fields it lacks (written before they existed, always
    last in order) take their defaults."""
    skills = {
        code: SkillState(*values[: len(_SKILL_FIELDS)])
        for code, values in data.get("skills", {}).items()
    }
    return StudentState(**{k: data[k] for k in _STUDENT_FIELDS if k in data}, skills=skills)


_NUMBERS = tuple(n for n in _STUDENT_FIELDS if n != "last_skill")
_NUMBER_INTS = tuple(f.type == "int" for f in fields(StudentState) if f.name in _NUMBERS)
_SKILL_INTS = tuple(f.type == "int" for f in fields(SkillState))
_skill_values = operator.attrgetter(*_SKILL_FIELDS)


def pack(student: StudentState) -> tuple[list[float], str | None, list[str]]:
    """The state as ``response_state``'s columns: numbers, last competency, competencies.

    The numbers are the student's (``StudentState`` field order) and then each
    competency's (``SkillState`` field order), competencies sorted; float8 holds
    the counts exactly and every float bit for bit, so replay equals live."""
    codes = sorted(student.skills)
    numbers: list[float] = [getattr(student, name) for name in _NUMBERS]
    for code in codes:
        numbers.extend(_skill_values(student.skills[code]))
    return numbers, student.last_skill, codes


def unpack(numbers: Sequence[float], last_skill: str | None, codes: Sequence[str]) -> StudentState:
    """The state back from ``pack``'s columns, counts as ints again."""
    head, width = len(_NUMBERS), len(_SKILL_FIELDS)
    skills = {}
    for i, code in enumerate(codes):
        at = head + i * width
        values = numbers[at : at + width]
        row: list[Any] = [
            int(v) if whole else v for v, whole in zip(values, _SKILL_INTS, strict=True)
        ]
        skills[code] = SkillState(*row)
    own: dict[str, Any] = {
        name: int(v) if whole else v
        for name, v, whole in zip(_NUMBERS, numbers[:head], _NUMBER_INTS, strict=True)
    }
    return StudentState(**own, last_skill=last_skill, skills=skills)
