"""Events produced by path-svc on ``path.events.v1``."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from pathwise_contracts.events.base import Event
from pathwise_contracts.topics import PATH_EVENTS


class Modality(StrEnum):
    """How a step of a learning path is taught."""

    ONE_ON_ONE_TUTORING = "one_on_one_tutoring"
    SMALL_GROUP_PROJECT = "small_group_project"
    INDEPENDENT_PRACTICE = "independent_practice"
    TEACHER_LED_INSTRUCTION = "teacher_led_instruction"
    PEER_TUTORING = "peer_tutoring"


class PathStep(BaseModel):
    """One competency to work on next, and how."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    competency_id: str = Field(min_length=1, description="Competency to work on.")
    modality: Modality = Field(description="How it is taught.")
    reason: str = Field(description="Why this step and modality; generated, no personal data.")


class MasteryUpdated(Event):
    """New evidence moved the estimated probability that a competency is mastered."""

    type = "org.pathwise.path.MasteryUpdated.v1"
    topic = PATH_EVENTS.name

    competency_id: str = Field(min_length=1, description="The competency.")
    p_mastery: float = Field(ge=0, le=1, description="Estimated P(mastered) after the evidence.")
    previous: float = Field(ge=0, le=1, description="Estimate before the evidence.")
    evidence_id: UUID = Field(description="Id of the event that carried the evidence.")


class CompetencyMastered(Event):
    """The mastery estimate crossed the mastery threshold."""

    type = "org.pathwise.path.CompetencyMastered.v1"
    topic = PATH_EVENTS.name

    competency_id: str = Field(min_length=1, description="The competency.")
    p_mastery: float = Field(ge=0, le=1, description="Estimated P(mastered).")
    evidence_id: UUID = Field(description="Id of the event that carried the evidence.")


class PathReplanned(Event):
    """The student's learning path was recomputed; ``steps`` is the whole new path."""

    type = "org.pathwise.path.PathReplanned.v1"
    topic = PATH_EVENTS.name

    version: int = Field(ge=1, description="Path version, incremented per replan.")
    steps: list[PathStep] = Field(description="The new path, in order.")
    added: list[str] = Field(description="Competency ids new to the path.")
    removed: list[str] = Field(description="Competency ids no longer on the path.")
    reason: str = Field(description="Why the path changed; generated, no personal data.")
    cause_event_id: UUID = Field(description="Id of the event that triggered the replan.")


class SupportNeeded(Event):
    """The student is stuck or slipping on a competency and needs a person's help."""

    type = "org.pathwise.path.SupportNeeded.v1"
    topic = PATH_EVENTS.name

    competency_id: str = Field(min_length=1, description="The competency.")
    reason: Literal["stalled", "declining"] = Field(description="What was detected.")
    detail: str = Field(description="Generated explanation; no personal data.")
    cause_event_id: UUID = Field(description="Id of the event that revealed it.")
