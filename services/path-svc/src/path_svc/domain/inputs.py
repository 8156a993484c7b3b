"""What a plan is made from besides the framework (``planner.plan``'s inputs).

Kept apart from the planner so that the modules writing a step's reason
(``reasons``) read the same inputs without importing the planner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from path_svc.domain.modality import Gains
from pathwise_contracts import Modality, PathStep


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
