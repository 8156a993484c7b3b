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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from path_svc.domain import contexts, reasons, traits
from path_svc.domain.accommodations import rules
from path_svc.domain.framework import Framework
from path_svc.domain.inputs import Inputs, Override, Standing
from path_svc.domain.mastery import MASTERED
from path_svc.domain.modality import (
    LABELS,
    STUCK_ATTEMPTS,
    STUCK_BELOW,
    Allowed,
    allowed,
    complies,
    options,
    sample,
)
from path_svc.domain.placement import place
from pathwise_contracts import Modality, PathStep, StepAnnotation

PATH_LENGTH = 3


@dataclass(frozen=True, slots=True)
class Draft:
    """A step before its reason is written: everything ``shape`` compares, and the
    modality's part of the reason (``written`` adds the rest)."""

    code: str
    modality: Modality
    why: str
    options: tuple[Modality, ...]
    overridden: bool
    placed: bool
    context: str | None
    annotations: tuple[StepAnnotation, ...]
    minutes: int | None
    items: int | None

    def shape(self) -> tuple[object, ...]:
        """``shape`` of the step it becomes."""
        codes = tuple(a.code for a in self.annotations)
        kind = (self.code, self.modality, self.options, self.overridden)
        return (*kind, codes, self.minutes, self.items, self.context)


def _p(framework: Framework, inputs: Inputs, code: str) -> float:
    s = inputs.estimates.get(code)
    if s is not None:
        return s.p
    return place(framework, inputs.grade).prior(code, framework[code].params.p_init)


def _mastered(framework: Framework, inputs: Inputs) -> frozenset[str]:
    """The framework's competencies planned as mastered, each estimate read once a plan
    (the frontier and the priorities ask about every competency and its prerequisites)."""
    prior = place(framework, inputs.grade).prior
    estimates = inputs.estimates
    out = set()
    for c in framework.competencies:
        s = estimates.get(c.code)
        if (s.p if s is not None else prior(c.code, c.params.p_init)) >= MASTERED:
            out.add(c.code)
    return frozenset(out)


def frontier(
    framework: Framework, inputs: Inputs, mastered: frozenset[str] | None = None
) -> list[str]:
    """Unmastered competencies whose prerequisites are all mastered, in priority order."""
    done = _mastered(framework, inputs) if mastered is None else mastered
    ready = [
        c.code
        for c in framework.competencies
        if c.code not in done and all(q in done for q in c.prerequisites)
    ]
    tier = place(framework, inputs.grade).tier
    goals = list(inputs.goals)
    interests = set(inputs.interests)
    position = _position(framework)

    def priority(code: str) -> tuple[int, int, int, int, int, int, int, int]:
        started = inputs.estimates.get(code)
        return (
            tier(code),  # a later grade never ahead of this one
            goals.index(code) if code in goals else len(goals),
            -len(unlocked_goals(framework, inputs, code, done)),
            -len(traits.matching(inputs.needs, code)),
            -traits.unsure(inputs.competency_confidence.get(code)),
            -len(contexts.tags(code) & interests),
            0 if started is not None and started.attempts > 0 else 1,
            position[code],
        )

    return sorted(ready, key=priority)


def unlocked_goals(
    framework: Framework, inputs: Inputs, code: str, mastered: frozenset[str] | None = None
) -> list[str]:
    """The unmastered goal competencies that need ``code`` first, most urgent first."""
    if not inputs.goals:
        return []
    done = _mastered(framework, inputs) if mastered is None else mastered
    ancestors = _ancestors(framework)
    return [
        goal
        for goal in inputs.goals
        if goal in framework and code in ancestors[goal] and goal not in done
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
    return written(framework, inputs, drafts(framework, inputs, cause))


def drafts(framework: Framework, inputs: Inputs, cause: uuid.UUID | str) -> list[Draft]:
    """The next steps without their reasons: every choice and random draw of ``plan``."""
    skipped = {o.competency_id for o in inputs.overrides if o.action == "skip"}
    done = _mastered(framework, inputs)
    pinned = [
        o.competency_id
        for o in inputs.overrides
        if o.action == "pin"
        and o.competency_id in framework
        and o.competency_id not in skipped
        and o.competency_id not in done
    ]
    pinned = list(dict.fromkeys(pinned))
    ready = [c for c in frontier(framework, inputs, done) if c not in skipped and c not in pinned]
    codes = pinned + ready[: max(0, PATH_LENGTH - len(pinned))]
    moved: set[str] = set()
    for o in inputs.overrides:
        if o.action == "move" and o.competency_id in codes and o.position is not None:
            codes.remove(o.competency_id)
            codes.insert(min(o.position, len(codes)), o.competency_id)
            moved.add(o.competency_id)
    previous = {s.competency_id: s for s in inputs.current}
    plan_rules = rules(inputs.requirements)
    session = (plan_rules.annotations, *plan_rules.session())
    return [
        _draft(
            framework,
            inputs,
            code,
            previous.get(code),
            code in pinned or code in moved,
            cause,
            session,
        )
        for code in codes
    ]


def written(framework: Framework, inputs: Inputs, steps: Sequence[Draft]) -> list[PathStep]:
    """The drafted steps with their reasons, for the same ``inputs``."""
    done = _mastered(framework, inputs)
    return [
        PathStep(
            competency_id=d.code,
            modality=d.modality,
            reason="; ".join(
                [
                    reasons.ready(framework, inputs, d.code, d.placed),
                    *reasons.priority(
                        framework, inputs, d.code, unlocked_goals(framework, inputs, d.code, done)
                    ),
                    d.why,
                ]
            ),
            options=list(d.options),
            overridden=d.overridden,
            annotations=list(d.annotations),
            minutes=d.minutes,
            items=d.items,
            context=d.context,
        )
        for d in steps
    ]


def _draft(
    framework: Framework,
    inputs: Inputs,
    code: str,
    before: PathStep | None,
    placed: bool,
    cause: uuid.UUID | str,
    session: tuple[tuple[StepAnnotation, ...], int | None, int | None],
) -> Draft:
    p = _p(framework, inputs, code)
    standing = inputs.estimates.get(code)
    attempts = standing.attempts if standing is not None else 0
    confidence = traits.confidence_on(code, inputs.confidence, inputs.competency_confidence)
    unsure = traits.unsure(confidence)
    permitted = allowed(p, attempts, inputs.requirements, inputs.avoided, unsure)
    how, why_how, overridden = _modality(inputs, code, permitted, before, cause, confidence)
    matched = [t for t in inputs.interests if t in contexts.tags(code)]
    return Draft(
        code,
        how,
        why_how,
        tuple(options(how, permitted.modalities)),
        overridden or placed,
        placed,
        matched[0] if matched else None,
        *session,
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
    evidence = reasons.evidence(permitted, inputs.gains.get(how))
    return how, f"{label[how]}: {evidence}{support}{why}", False


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
    "Draft",
    "Inputs",
    "Override",
    "Standing",
    "diff",
    "drafts",
    "frontier",
    "plan",
    "shape",
    "written",
]
