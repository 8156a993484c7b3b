"""A student's accommodations as the rules one step must obey.

The catalogue (``pathwise_contracts.accommodations``) says what each code
means; this module folds a plan's codes into one ``Rules`` value the planner
and grouping apply: which modalities are fixed, forbidden or preferred, how
long a session is and how many items it asks, and the annotations every step
carries for the teacher. Codes the catalogue does not know (only possible on
events written before profile-svc checked them) are ignored.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from pathwise_contracts import Modality, StepAnnotation
from pathwise_contracts.accommodations import CATALOGUE, resolve

SESSION_MINUTES = 20
"""The standard length of one step's session, which time accommodations scale."""
SESSION_ITEMS = 10
"""The standard number of items of one step, which item accommodations scale."""

FALLBACK: tuple[Modality, ...] = (
    Modality.TEACHER_LED_INSTRUCTION,
    Modality.SMALL_GROUP_INSTRUCTION,
    Modality.ONE_ON_ONE_TUTORING,
    Modality.PEER_TUTORING,
    Modality.INDEPENDENT_PRACTICE,
    Modality.SMALL_GROUP_PROJECT,
    Modality.MASTERY_CHECK,
)
"""Where to look, most supported first, when forbidden modalities leave a situation none."""


@dataclass(frozen=True, slots=True)
class Rules:
    """Everything a plan's accommodations impose on a step."""

    only: Modality | None = None
    only_by: str | None = None
    forbidden: frozenset[Modality] = frozenset()
    preferred: tuple[Modality, ...] = ()
    time_factor: float = 1.0
    item_fraction: float = 1.0
    max_minutes: int | None = None
    language: str | None = None
    annotations: tuple[StepAnnotation, ...] = ()

    def permits(self, how: Modality) -> bool:
        """Whether teaching this way honours every hard constraint."""
        if self.only is not None:
            return how is self.only
        return how not in self.forbidden

    def session(self) -> tuple[int | None, int | None]:
        """Minutes and items of a step, or None for each left at the standard."""
        minutes = SESSION_MINUTES * self.time_factor
        items = SESSION_ITEMS * self.item_fraction
        if self.max_minutes is not None and minutes > self.max_minutes:
            items *= self.max_minutes / minutes  # the same pace in less time
            minutes = self.max_minutes
        whole_minutes = max(1, round(minutes))
        whole_items = max(1, math.floor(items + 1e-9))
        return (
            None if whole_minutes == SESSION_MINUTES else whole_minutes,
            None if whole_items == SESSION_ITEMS else whole_items,
        )


def rules(codes: Sequence[str]) -> Rules:
    """The rules of a plan's codes (cached: the same codes are planned for every step)."""
    return _rules(tuple(codes))


@functools.cache
def _rules(codes: tuple[str, ...]) -> Rules:
    only: Modality | None = None
    only_by: str | None = None
    forbidden: set[Modality] = set()
    preferred: list[Modality] = []
    factor, fraction, cap, language = 1.0, 1.0, None, None
    annotations = []
    # Catalogue order, so the order codes were typed in never changes a plan.
    ordered = sorted(resolve(codes), key=lambda r: (_rank(r.accommodation.code), r.code))
    for r in ordered:
        a, value = r.accommodation, r.value
        annotations.append(StepAnnotation(code=r.code, text=r.label))
        if a.effect == "only_modality" and only is None:
            only, only_by = a.modality, r.code
        elif a.effect == "forbid_modality" and value:
            forbidden.add(Modality(value))
        elif a.effect == "prefer_modality" and value:
            preferred.append(Modality(value))
        elif a.effect == "session_time" and value:
            factor = max(factor, float(value))
        elif a.effect == "item_count" and value:
            fraction = min(fraction, float(value))
        elif a.effect == "session_cap" and value:
            cap = min(cap or 1000, round(float(value)))
        elif a.code == "home_language":
            language = value
    return Rules(
        only=only,
        only_by=only_by,
        forbidden=frozenset(forbidden),
        preferred=tuple(m for m in preferred if m not in forbidden),
        time_factor=factor,
        item_fraction=fraction,
        max_minutes=cap,
        language=language,
        annotations=tuple(annotations),
    )


@functools.cache
def _rank(code: str) -> int:
    return next(i for i, a in enumerate(CATALOGUE) if a.code == code)


def restrict(candidates: Sequence[Modality], r: Rules) -> tuple[Modality, ...]:
    """The candidates the hard constraints leave, never none: when forbidden modalities
    take them all, the most supported modality not forbidden is used instead."""
    if r.only is not None:
        return (r.only,)
    kept = tuple(m for m in candidates if m not in r.forbidden)
    if kept:
        return kept
    return tuple(m for m in FALLBACK if m not in r.forbidden)[:1] or (FALLBACK[0],)
