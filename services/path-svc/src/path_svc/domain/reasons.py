"""A step's reason in words a teacher reads: why it is ready and why it comes first.

Written only once the planner knows the path changed (``planner.written``):
most evidence leaves the path as it was, and its steps keep their reasons.
"""

from __future__ import annotations

from path_svc.domain import contexts, traits
from path_svc.domain.framework import Framework
from path_svc.domain.inputs import Inputs
from path_svc.domain.modality import Allowed, Gains
from path_svc.domain.placement import place


def evidence(permitted: Allowed, gains: Gains | None) -> str:
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


def ready(framework: Framework, inputs: Inputs, code: str, placed: bool) -> str:
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


def priority(framework: Framework, inputs: Inputs, code: str, unlocked: list[str]) -> list[str]:
    """What put ``code`` ahead; ``unlocked``: the goals it unlocks (``planner.unlocked_goals``)."""
    out = []
    if code in inputs.goals:
        out.append(f"a goal: {_goal(inputs, code)}")
    if unlocked:
        out.append(f"unlocks goal {', '.join(_goal(inputs, g) for g in unlocked)}")
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
