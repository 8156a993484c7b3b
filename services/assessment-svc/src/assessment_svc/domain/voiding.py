"""Withdrawing a recorded result from the evidence."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from pathwise_contracts import AssessmentVoided, derive_event_id


class VoidRequest(BaseModel):
    """The body of ``POST /v1/assessments/{id}/void``: a reason code, never free text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str = Field(max_length=64, pattern=r"^[a-z][a-z0-9_]*$", examples=["entered_in_error"])


def void_event(assessment_id: UUID, student_id: str, reason: str) -> tuple[UUID, AssessmentVoided]:
    """The voiding event and its id; one void per assessment, so a repeat is dropped."""
    event = AssessmentVoided(assessment_id=assessment_id, student_id=student_id, reason=reason)
    return derive_event_id(assessment_id, "void"), event
