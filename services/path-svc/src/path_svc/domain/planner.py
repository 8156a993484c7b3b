"""Which competencies a student works on next, and how each is taught.

The candidates are the *frontier* of the prerequisite graph: competencies not
yet mastered whose prerequisites all are ("ready to learn"). They are ordered
by the student's goals (soonest target first), then by how many goal
competencies each unlocks, then by the student's needs that name it, then
work the student's own reflection was unsure about, then by how many
interest tags it matches, then work already started before new
work, then the framework's own order, so equal inputs always give the same
path (replay compares paths row for row). Teachers' overrides then shape the
first ``PATH_LENGTH`` of them, and each step gets a modality (see
``modality``; strengths, needs and reflected confidence lean it, see
``traits``), the annotations, session length and item count of the
student's accommodations (``accommodations``), an interest as its context,
and a reason a teacher can read naming every profile input that mattered.
"""

from __future__ import annotations

import functools
import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from path_svc.domain import contexts, traits
from path_svc.domain.accommodations import rules
from path_svc.domain.framework import Framework
from path_svc.domain.mastery import MASTERED
from path_svc.domain.modality import (
    LABELS,
    STUCK_ATTEMPTS,
    STUCK_BELOW,
    Allowed,
    Gains,
    allowed,
    complies,
    options,
    sample,
)
from path_svc.domain.placement import place
from pathwise_contracts import Modality, PathStep

PATH_LENGTH = 3


@dataclass(frozen=True, slots=True)
class Standing:
    """The planner's copy of one estimate (from MasteryUpdated)."""

    p: float
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class Override:
    """A teacher's standing instruction about one competency, until lifted."""

    action: str  # pin | skip | move | modality
    competency_id: str
    position: int | None = None
    modality: Modality | None = None


@dataclass(slots=True)
class Inputs:
    """Everything a plan depends on besides the framework."""

    estimates: Mapping[str, Standing] = field(default_factory=dict)
    goals: Sequence[str] = ()
    interests: Sequence[str] = ()
    requirements: Sequence[str] = ()
    preferred: Sequence[Modality] = ()
    avoided: Sequence[Modality] = ()
    gains: Mapping[Modality, Gains] = field(default_factory=dict)
    overrides: Sequence[Override] = ()
    choices: Mapping[str, Modality] = field(default_factory=dict)
    current: Sequence[PathStep] = ()
    grade: str | None = None  # the roster's grade: where the path starts (``placement``)
    goal_dates: Mapping[str, str] = field(default_factory=dict)
    strengths: Sequence[str] = ()
    needs: Sequence[str] = ()
    confidence: int | None = None
    competency_confidence: Mapping[str, int] = field(default_factory=dict)


def _p(framework: Framework, inputs: Inputs, code: str) -> float:
    s = inputs.estimates.get(code)
    if s is not None:
        return s.p
    return place(framework, inputs.grade).prior(code, framework[code].params.p_init)


def _mastered(framework: Framework, inputs: Inputs, code: str) -> bool:
    return _p(framework, inputs, code) >= MASTERED


def frontier(framework: Framework, inputs: Inputs) -> list[str]:
    """Unmastered competencies whose prerequisites are all mastered, in priority order."""
    ready = [
        c.code
        for c in framework.competencies
        if not _mastered(framework, inputs, c.code)
        and all(_mastered(framework, inputs, q) for q in c.prerequisites)
    ]
    return sorted(ready, key=lambda code: _priority(framework, inputs, code))


def _priority(
    framework: Framework, inputs: Inputs, code: str
) -> tuple[int, int, int, int, int, int, int, int]:
    goals = list(inputs.goals)
    goal_rank = goals.index(code) if code in goals else len(goals)
    started = inputs.estimates.get(code)
    return (
        place(framework, inputs.grade).tier(code),  # a later grade never ahead of this one
        goal_rank,
        -unlocks(framework, inputs, code),
        -len(traits.matching(inputs.needs, code)),
        -traits.unsure(inputs.competency_confidence.get(code)),
        -len(contexts.tags(code) & set(inputs.interests)),
        0 if started is not None and started.attempts > 0 else 1,
        _position(framework)[code],
    )


def unlocks(framework: Framework, inputs: Inputs, code: str) -> int:
    """How many unmastered goal competencies need ``code`` first (directly or not)."""
    return len(unlocked_goals(framework, inputs, code))


def unlocked_goals(framework: Framework, inputs: Inputs, code: str) -> list[str]:
    """The unmastered goal competencies that need ``code`` first, most urgent first."""
    return [
        goal
        for goal in inputs.goals
        if goal in framework
        and code in _ancestors(framework)[goal]
        and not _mastered(framework, inputs, goal)
    ]


@functools.cache
def _ancestors(framework: Framework) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for c in framework.competencies:  # prerequisites first, so theirs are known
        out[c.code] = frozenset(c.prerequisites).union(*(out[q] for q in c.prerequisites))
    return out


@functools.cache
def _position(framework: Framework) -> dict[str, int]:
    return {c.code: i for i, c in enumerate(framework.competencies)}


def spelled(framework: Framework, codes: Sequence[str], also: Iterable[str] = ()) -> list[str]:
    """The framework's own spelling of each code it knows (or of ``also``: codes of a
    framework it replaced), whatever the case (profile-svc has stored competency ids
    in lower case), in order, once each."""
    known = _spellings(framework)
    if also:
        known = {c.lower(): c for c in also} | known
    return list(dict.fromkeys(known[c.lower()] for c in codes if c.lower() in known))


@functools.cache
def _spellings(framework: Framework) -> dict[str, str]:
    return {c.code.lower(): c.code for c in framework.competencies}


def rng_for(cause: uuid.UUID | str, code: str) -> random.Random:
    """The generator for one step's draw: seeded by the causing event and the competency."""
    return random.Random(uuid.uuid5(uuid.NAMESPACE_OID, f"{cause}|{code}").int)


def plan(framework: Framework, inputs: Inputs, cause: uuid.UUID | str) -> list[PathStep]:
    """The student's next steps given everything known, drawn deterministically from ``cause``."""
    skipped = {o.competency_id for o in inputs.overrides if o.action == "skip"}
    pinned = [
        o.competency_id
        for o in inputs.overrides
        if o.action == "pin"
        and o.competency_id in framework
        and o.competency_id not in skipped
        and not _mastered(framework, inputs, o.competency_id)
    ]
    pinned = list(dict.fromkeys(pinned))
    ready = [c for c in frontier(framework, inputs) if c not in skipped and c not in pinned]
    codes = pinned + ready[: max(0, PATH_LENGTH - len(pinned))]
    moved: set[str] = set()
    for o in inputs.overrides:
        if o.action == "move" and o.competency_id in codes and o.position is not None:
            codes.remove(o.competency_id)
            codes.insert(min(o.position, len(codes)), o.competency_id)
            moved.add(o.competency_id)
    previous = {s.competency_id: s for s in inputs.current}
    return [
        _step(framework, inputs, code, previous.get(code), code in pinned or code in moved, cause)
        for code in codes
    ]


def _step(
    framework: Framework,
    inputs: Inputs,
    code: str,
    before: PathStep | None,
    placed: bool,
    cause: uuid.UUID | str,
) -> PathStep:
    p = _p(framework, inputs, code)
    standing = inputs.estimates.get(code)
    attempts = standing.attempts if standing is not None else 0
    confidence = traits.confidence_on(code, inputs.confidence, inputs.competency_confidence)
    unsure = traits.unsure(confidence)
    permitted = allowed(p, attempts, inputs.requirements, inputs.avoided, unsure)
    how, why_how, overridden = _modality(inputs, code, permitted, before, cause, confidence)
    reason = "; ".join(
        [
            _ready(framework, inputs, code, placed),
            *_priority_reasons(framework, inputs, code),
            why_how,
        ]
    )
    plan_rules = rules(inputs.requirements)
    minutes, items = plan_rules.session()
    matched = [t for t in inputs.interests if t in contexts.tags(code)]
    return PathStep(
        competency_id=code,
        modality=how,
        reason=reason,
        options=options(how, permitted.modalities),
        overridden=overridden or placed,
        annotations=list(plan_rules.annotations),
        minutes=minutes,
        items=items,
        context=matched[0] if matched else None,
    )


def _modality(
    inputs: Inputs,
    code: str,
    permitted: Allowed,
    before: PathStep | None,
    cause: uuid.UUID | str,
    confidence: int | None = None,
) -> tuple[Modality, str, bool]:
    """The step's modality, why, and whether a teacher set it."""
    label = LABELS
    forced = [
        o.modality
        for o in inputs.overrides
        if o.action == "modality" and o.competency_id == code and o.modality is not None
    ]
    if forced:
        how = forced[-1]
        if complies(how, inputs.requirements):
            return how, f"{label[how]}: set by a teacher", True
    if permitted.required_by is not None:
        how = permitted.modalities[0]
        note = " (a teacher's other choice cannot override it)" if forced else ""
        return how, f"{label[how]}: required by the student's plan{note}", False
    # Past here a teacher's modality, if any, is one the plan forbids: say so on the step.
    refused = f"; {label[forced[-1]]} set by a teacher is forbidden by the plan" if forced else ""
    if permitted.preferred_by is not None:
        how = permitted.modalities[0]
        return how, f"{label[how]}: preferred by the student's plan{refused}", False
    unsure = f"; confidence {confidence}/4 in a recent reflection: supported modalities"
    support = (unsure if permitted.supported else "") + refused
    chosen = inputs.choices.get(code)
    if chosen is not None and chosen in permitted.modalities:
        return chosen, f"{label[chosen]}: chosen by the student{support}", False
    if permitted.situation == "stuck":
        standing = inputs.estimates.get(code)
        attempts = standing.attempts if standing is not None else STUCK_ATTEMPTS
        tutoring = permitted.modalities[0]
        why = f"{attempts} attempts below {STUCK_BELOW:.0%}{support}"
        if before is not None and before.modality in permitted.modalities:
            return before.modality, f"{label[before.modality]}: {why}", False
        return tutoring, f"{label[tutoring]}: {why}", False
    why = ""
    if before is not None and before.modality in permitted.modalities:
        how = before.modality
    else:
        leaning = traits.favoured(code, inputs.strengths, inputs.needs, confidence)
        favoured = [*inputs.preferred, *leaning]
        how = sample(permitted.modalities, inputs.gains, favoured, rng_for(cause, code))
        why = f"; favoured by {leaning[how]}" if how in leaning else ""
    evidence = _evidence(permitted, inputs.gains.get(how))
    return how, f"{label[how]}: {evidence}{support}{why}", False


def _evidence(permitted: Allowed, gains: Gains | None) -> str:
    where = {
        "new": "new to the student",
        "developing": "developing",
        "near": "close to mastery",
        "stuck": "stuck",
    }[permitted.situation]
    if gains is None or gains.steps == 0:
        return f"{where}; no record yet of how this works for the student"
    return (
        f"{where}; mastery rose after {gains.alpha - 1:.0f} of {gains.steps} steps taught this way"
    )


def _ready(framework: Framework, inputs: Inputs, code: str, placed: bool) -> str:
    if placed:
        return "placed by a teacher"
    prerequisites = framework.prerequisites(code)
    if not prerequisites:
        return "ready: no prerequisites"
    earlier = place(framework, inputs.grade).earlier
    assumed = [q for q in prerequisites if q in earlier and q not in inputs.estimates]
    shown = [q for q in prerequisites if q not in assumed]
    parts = [f"prerequisites {', '.join(shown)} mastered"] if shown else []
    if assumed:
        parts.append(f"{', '.join(assumed)} assumed from earlier grades")
    return f"ready: {'; '.join(parts)}"


def _priority_reasons(framework: Framework, inputs: Inputs, code: str) -> list[str]:
    out = []
    if code in inputs.goals:
        out.append(f"a goal: {_goal(inputs, code)}")
    goals = unlocked_goals(framework, inputs, code)
    if goals:
        out.append(f"unlocks goal {', '.join(_goal(inputs, g) for g in goals)}")
    needs = traits.matching(inputs.needs, code)
    if needs:
        out.append(f"a need: {', '.join(needs)}")
    strengths = traits.matching(inputs.strengths, code)
    if strengths:
        out.append(f"a strength: {', '.join(strengths)}")
    own = inputs.competency_confidence.get(code)
    if traits.unsure(own):
        out.append(f"the student reflected low confidence ({own}/4) on it")
    matched = sorted(contexts.tags(code) & set(inputs.interests))
    if matched:
        out.append(f"matches interests: {', '.join(matched)}")
    if place(framework, inputs.grade).tier(code):
        out.append("a later grade's work, after the current grade's")
    return out


def _goal(inputs: Inputs, code: str) -> str:
    when = inputs.goal_dates.get(code)
    return f"{code} by {when}" if when else code


def shape(step: PathStep) -> tuple[object, ...]:
    """What makes a step different for the student or teacher (the reason's wording does not)."""
    return (
        step.competency_id,
        step.modality,
        tuple(step.options),
        step.overridden,
        tuple(a.code for a in step.annotations),
        step.minutes,
        step.items,
        step.context,
    )


def changed(old: Sequence[PathStep], new: Sequence[PathStep]) -> bool:
    """Whether the path differs in anything but the wording of reasons."""
    return [shape(s) for s in old] != [shape(s) for s in new]


def diff(old: Sequence[PathStep], new: Sequence[PathStep]) -> tuple[list[str], list[str]]:
    """Competency ids added to and removed from the path, each in path order."""
    before = {s.competency_id for s in old}
    after = {s.competency_id for s in new}
    added = [s.competency_id for s in new if s.competency_id not in before]
    removed = [s.competency_id for s in old if s.competency_id not in after]
    return added, removed


__all__ = [
    "PATH_LENGTH",
    "STUCK_ATTEMPTS",
    "Inputs",
    "Override",
    "Standing",
    "changed",
    "diff",
    "frontier",
    "plan",
    "shape",
    "unlocks",
]
