"""Events produced by assessment-svc on ``assessment.events.v1``."""

from __future__ import annotations

from typing import Self
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from pathwise_contracts.events.base import Event
from pathwise_contracts.topics import ASSESSMENT_EVENTS


class AssessmentRecorded(Event):
    """A student's score on one competency, the evidence mastery is computed from."""

    type = "org.pathwise.assessment.AssessmentRecorded.v1"
    topic = ASSESSMENT_EVENTS.name

    assessment_id: UUID = Field(description="Id of the assessment result.")
    competency_id: str = Field(min_length=1, description="Competency the item measures.")
    score: float = Field(ge=0, description="Points earned.")
    max_score: float = Field(gt=0, description="Points possible.")
    occurred_at: AwareDatetime = Field(description="When the student was assessed.")
    source: str = Field(min_length=1, description="System the result came from, e.g. 'lms'.")
    source_id: str = Field(min_length=1, description="The result's id in the source system.")

    @model_validator(mode="after")
    def _score_within_max(self) -> Self:
        if self.score > self.max_score:
            raise ValueError("score must not exceed max_score")
        return self


class AssessmentVoided(Event):
    """A recorded assessment no longer counts as evidence (e.g. entered in error)."""

    type = "org.pathwise.assessment.AssessmentVoided.v1"
    topic = ASSESSMENT_EVENTS.name

    assessment_id: UUID = Field(description="Id of the voided assessment result.")
    reason: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Reason code such as 'entered_in_error'; never free text, which is "
        "personal data.",
    )
