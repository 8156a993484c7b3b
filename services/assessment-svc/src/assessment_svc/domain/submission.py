"""An assessment result as a source system submits it.

The result's id comes from (district, source, source_id), so a re-sent result
maps to the same id and two districts never share one; the fingerprint tells a
harmless re-send from a conflicting one.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from pathwise_contracts import AssessmentRecorded, ids

# derive_event_id joins its parts with "|", so ids must not contain it.
_ID = r"^[^|\s]+$"
_SOURCE_ID = r"^[^|]+$"


class Submission(BaseModel):
    """The body of ``POST /v1/assessments``."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    student_id: str = Field(min_length=1, max_length=128, pattern=_ID)
    competency_id: str = Field(min_length=1, max_length=128)
    # max_score is declared first so the score check below can see it.
    max_score: float = Field(gt=0)
    score: float = Field(ge=0)
    occurred_at: AwareDatetime
    source: str = Field(min_length=1, max_length=64, pattern=_ID, examples=["canvas"])
    source_id: str = Field(min_length=1, max_length=256, pattern=_SOURCE_ID)
    district_id: str | None = Field(
        default=None, min_length=1, description="Defaults to the caller's district."
    )

    @field_validator("score")
    @classmethod
    def _within_max(cls, score: float, info: ValidationInfo) -> float:
        max_score = info.data.get("max_score")
        if max_score is not None and score > max_score:
            raise ValueError(f"score must not exceed max_score ({max_score:g})")
        return score

    def assessment_id(self, district: str) -> UUID:
        """Also the event id, so the outbox drops a re-sent result."""
        return ids.assessment_id(district, self.source, self.source_id)

    @property
    def legacy_id(self) -> UUID:
        """The id a result got before ids carried the district."""
        return ids.derive_event_id(self.source, self.source_id)

    def fingerprint(self, district: str) -> str:
        """Digest of what the result says; equal for equal content in any notation."""
        content = {
            "district_id": district,
            "student_id": self.student_id,
            "competency_id": self.competency_id,
            "score": float(self.score),
            "max_score": float(self.max_score),
            "occurred_at": self.occurred_at.astimezone(UTC).isoformat(),
            "source": self.source,
            "source_id": self.source_id,
        }
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def event(self, assessment_id: UUID) -> AssessmentRecorded:
        own = self.model_dump(include=set(AssessmentRecorded.model_fields))
        return AssessmentRecorded(**own, assessment_id=assessment_id)
