"""The learner-profile commands: request bodies and the event each becomes.

Every command is a full new state of one aspect (or one goal, one reflection),
so a retried write says the same thing twice. Free text and plan details are
sealed with the student's erasable key before they become an event.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from pathwise_contracts import (
    AccommodationsChanged,
    EncryptedValue,
    GoalSet,
    InterestsChanged,
    Modality,
    ModalityPreferencesChanged,
    ProfileEvent,
    ReflectionRecorded,
    StrengthsAndNeedsChanged,
    StudentWithdrawn,
)
from pathwise_contracts import accommodations as catalogue

Seal = Callable[[str, str], EncryptedValue]
"""Encrypts ``text`` with the key of data subject ``subject``."""

Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.:-]{0,79}$")]
"""A short machine tag or competency id, e.g. ``reading_fluency`` or ``math.5.nf.1``."""

CompetencyId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$")]
"""A competency id as its framework spells it, e.g. ``3.OA.A.1`` (or a lower-case tag)."""

_ID = r"^[^|\s]+$"


def _catalogue_code(code: str) -> str:
    """A code of the accommodation catalogue, or an error naming it and the known codes."""
    try:
        catalogue.parse(code)
    except ValueError as e:
        raise ValueError(f"{e}; known codes: {', '.join(catalogue.KNOWN)}") from None
    return code


AccommodationCode = Annotated[Tag, AfterValidator(_catalogue_code)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Withdrawal(_Body):
    withdrawn_on: date
    reason: Literal["transferred", "graduated", "dropped_out", "other"]

    def event(self, student_id: str, version: int, seal: Seal) -> ProfileEvent:
        return StudentWithdrawn(
            student_id=student_id,
            version=version,
            withdrawn_on=self.withdrawn_on,
            reason=self.reason,
        )


class StrengthsAndNeeds(_Body):
    strengths: list[Tag] = Field(default_factory=list, max_length=50)
    needs: list[Tag] = Field(default_factory=list, max_length=50)

    def event(self, student_id: str, version: int, seal: Seal) -> ProfileEvent:
        return StrengthsAndNeedsChanged(
            student_id=student_id, version=version, strengths=self.strengths, needs=self.needs
        )


class Interests(_Body):
    interests: list[Tag] = Field(default_factory=list, max_length=50)

    def event(self, student_id: str, version: int, seal: Seal) -> ProfileEvent:
        return InterestsChanged(student_id=student_id, version=version, interests=self.interests)


class ModalityPreferences(_Body):
    preferred: list[Modality] = Field(default_factory=list)
    avoided: list[Modality] = Field(default_factory=list)

    @model_validator(mode="after")
    def _disjoint(self) -> Self:
        if set(self.preferred) & set(self.avoided):
            raise ValueError("avoided: a modality cannot be both preferred and avoided")
        return self

    def event(self, student_id: str, version: int, seal: Seal) -> ProfileEvent:
        return ModalityPreferencesChanged(
            student_id=student_id, version=version, preferred=self.preferred, avoided=self.avoided
        )


class Goal(_Body):
    competency_ids: list[CompetencyId] = Field(min_length=1, max_length=20)
    target_date: date | None = None
    status: Literal["active", "achieved", "dropped"] = "active"
    agreed_by: list[Literal["student", "teacher", "guardian"]] = Field(min_length=1)
    note: str | None = Field(default=None, min_length=1, max_length=2000)

    def event_for(self, goal_id: str) -> Callable[[str, int, Seal], ProfileEvent]:
        def build(student_id: str, version: int, seal: Seal) -> ProfileEvent:
            return GoalSet(
                student_id=student_id,
                version=version,
                goal_id=goal_id,
                competency_ids=self.competency_ids,
                target_date=self.target_date,
                status=self.status,
                agreed_by=sorted(set(self.agreed_by)),
                note=seal(student_id, self.note) if self.note else None,
            )

        return build


class Plan(_Body):
    kind: Literal["iep", "504", "language_support", "other"]
    details: str | None = Field(default=None, max_length=4000)


class Accommodations(_Body):
    """Catalogue codes (``pathwise_contracts.accommodations``) and the sealed plans behind them.

    Every code is checked against the catalogue, and the set against itself
    (no modality both required and forbidden), before anything is written:
    a plan the planner could not honour is refused whole.
    """

    requirements: list[AccommodationCode] = Field(
        default_factory=list,
        max_length=30,
        examples=[
            ["small_group_instruction", "extended_time:1.5", "read_aloud", "home_language:es"]
        ],
    )
    plans: list[Plan] = Field(default_factory=list, max_length=10)

    @field_validator("requirements")
    @classmethod
    def _consistent(cls, codes: list[str]) -> list[str]:
        found = catalogue.problems(codes)
        if found:
            raise ValueError("; ".join(f"{codes[i]!r}: {why}" for i, why in found))
        return codes

    def event(self, student_id: str, version: int, seal: Seal) -> ProfileEvent:
        plans = [p.model_dump(mode="json") for p in self.plans]
        return AccommodationsChanged(
            student_id=student_id,
            version=version,
            requirements=self.requirements,
            details=seal(student_id, json.dumps(plans, sort_keys=True)) if plans else None,
        )


class Reflection(_Body):
    reflection_id: str = Field(min_length=1, max_length=128, pattern=_ID)
    text: str = Field(min_length=1, max_length=2000)
    competency_ids: list[CompetencyId] = Field(default_factory=list, max_length=20)
    confidence: int | None = Field(default=None, ge=1, le=4)

    def event(self, student_id: str, version: int, seal: Seal) -> ProfileEvent:
        return ReflectionRecorded(
            student_id=student_id,
            version=version,
            reflection_id=self.reflection_id,
            text=seal(student_id, self.text),
            competency_ids=self.competency_ids,
            confidence=self.confidence,
        )
