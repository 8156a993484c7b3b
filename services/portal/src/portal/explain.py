"""Why a step is on a child's path, in plain words for families (as catalog keys).

path-svc writes each step's ``reason`` for teachers ("ready: prerequisites
3.OA.A.1 mastered; a goal; Small-group project: chosen by the student"). A
family needs the gist, in their language: this turns the reason's known
parts into catalog keys the family page translates. Unknown wording adds
nothing, so a new phrase in path-svc never shows up half-translated.
"""

from __future__ import annotations

from pathwise_contracts import PathStep


def why(step: PathStep) -> list[str]:
    """Catalog keys explaining why this step, then why this way of learning."""
    parts = [p.strip() for p in step.reason.split(";")]
    keys: list[str] = []
    if "placed by a teacher" in parts:
        keys.append("why.teacher")
    elif any(p.startswith("ready: no prerequisites") for p in parts):
        keys.append("why.first")
    elif any(p.startswith("ready: prerequisites") for p in parts):
        keys.append("why.ready")
    if any(p == "a goal" or p.startswith("a goal:") for p in parts):
        keys.append("why.goal")
    if any(p.startswith("unlocks ") for p in parts):
        keys.append("why.unlocks")
    if any(p.startswith("matches interests") for p in parts):
        keys.append("why.interest")
    keys.append(_how(parts))
    return keys


def _how(parts: list[str]) -> str:
    text = " ".join(parts)
    if "set by a teacher" in text:
        return "how.teacher"
    if "required by the student's plan" in text or "preferred by the student's plan" in text:
        return "how.plan"
    if "chosen by the student" in text:
        return "how.chosen"
    if "attempts below" in text or "stuck" in text:
        return "how.stuck"
    return "how.suits"
