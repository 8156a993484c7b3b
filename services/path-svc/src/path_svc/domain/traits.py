"""What the student's strengths, needs and reflected confidence mean for the next steps.

profile-svc stores strengths and needs as short codes (``math.fractions``,
``3.nf``, ``collaboration``, ``attention``); reflections carry a confidence
from 1 (lost) to 4 (sure). Three kinds of meaning, each named in a step's
reason when it mattered:

- a code that names a competency or its domain (``3.NF.A.1``, ``3.nf``,
  ``math.fractions``): a *need* puts that work earlier among what the student
  is ready for; a *strength* favours independent practice and mastery checks;
- a code that names a way of working (``collaboration``, ``attention``):
  favours the modalities that suit it (a pseudo-success in the sampling, as a
  preferred modality gets);
- confidence: at most ``LOW_CONFIDENCE`` keeps supported modalities (an adult
  or a peer alongside); ``HIGH_CONFIDENCE`` favours working alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pathwise_contracts import Modality

LOW_CONFIDENCE = 2
HIGH_CONFIDENCE = 4

DOMAIN_WORDS: Mapping[str, str] = {
    "counting": "CC",
    "operations": "OA",
    "algebraic_thinking": "OA",
    "place_value": "NBT",
    "fractions": "NF",
    "measurement": "MD",
    "data": "MD",
    "geometry": "G",
    "ratios": "RP",
    "number_system": "NS",
    "expressions": "EE",
    "equations": "EE",
    "statistics": "SP",
    "functions": "F",
}
"""Domain words a strength or need may use instead of a code prefix."""

_ALONE = (Modality.INDEPENDENT_PRACTICE, Modality.MASTERY_CHECK)

WAYS: Mapping[str, tuple[Modality, ...]] = {
    "collaboration": (Modality.PEER_TUTORING, Modality.SMALL_GROUP_PROJECT),
    "leadership": (Modality.PEER_TUTORING, Modality.SMALL_GROUP_PROJECT),
    "hands_on": (Modality.SMALL_GROUP_PROJECT,),
    "creativity": (Modality.SMALL_GROUP_PROJECT,),
    "independent_work": (Modality.INDEPENDENT_PRACTICE,),
    "self_directed": (Modality.INDEPENDENT_PRACTICE,),
    "verbal_reasoning": (Modality.PEER_TUTORING, Modality.TEACHER_LED_INSTRUCTION),
    "attention": (Modality.SMALL_GROUP_INSTRUCTION, Modality.TEACHER_LED_INSTRUCTION),
    "focus": (Modality.SMALL_GROUP_INSTRUCTION, Modality.TEACHER_LED_INSTRUCTION),
    "executive_function": (Modality.SMALL_GROUP_INSTRUCTION, Modality.TEACHER_LED_INSTRUCTION),
    "confidence": (Modality.SMALL_GROUP_INSTRUCTION, Modality.ONE_ON_ONE_TUTORING),
    "social_skills": (Modality.SMALL_GROUP_PROJECT, Modality.PEER_TUTORING),
}
"""Ways of working a strength or need may name, and the modalities each favours."""


def about(trait: str, code: str) -> bool:
    """Whether a strength or need code is about competency ``code``.

    ``3.NF.A.1`` and its prefixes (``3.nf``, ``3.nf.a``) match, as does a
    domain word (``fractions``, ``math.fractions``) or a domain alone (``nf``).
    """
    t = trait.lower().removeprefix("math.")
    parts = code.lower().split(".")
    domain = parts[1] if len(parts) > 1 else ""
    if t in DOMAIN_WORDS:
        return DOMAIN_WORDS[t].lower() == domain
    if t == domain:
        return True
    mine = t.split(".")
    return len(mine) >= 2 and parts[: len(mine)] == mine


def matching(traits: Iterable[str], code: str) -> list[str]:
    """The traits about ``code``, in their given order."""
    return [t for t in traits if about(t, code)]


def favoured(
    code: str,
    strengths: Sequence[str],
    needs: Sequence[str],
    confidence: int | None,
) -> dict[Modality, str]:
    """Modalities the profile favours for a step on ``code``, each with the first reason why."""
    out: dict[Modality, str] = {}

    def favour(ways: Iterable[Modality], why: str) -> None:
        for m in ways:
            out.setdefault(m, why)

    for s in matching(strengths, code):
        favour(_ALONE, f"a strength: {s}")
    for label, traits in (("strength", strengths), ("need", needs)):
        for t in traits:
            favour(WAYS.get(t.lower(), ()), f"a {label}: {t}")
    if confidence is not None and confidence >= HIGH_CONFIDENCE:
        favour(_ALONE, f"confidence {confidence}/4 in a recent reflection")
    return out


def unsure(confidence: int | None) -> bool:
    """Whether a reflection's confidence calls for supported modalities."""
    return confidence is not None and confidence <= LOW_CONFIDENCE


def confidence_on(code: str, general: int | None, per_competency: Mapping[str, int]) -> int | None:
    """The confidence that applies to a step: the competency's own, else the general one."""
    return per_competency.get(code, general)
