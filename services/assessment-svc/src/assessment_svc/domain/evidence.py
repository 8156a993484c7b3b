"""A result from any standard, normalised: who (an identity), what (an activity), how well.

Every input format (xAPI, OneRoster, Ed-Fi, Caliper) is parsed into ``Evidence``;
from here on the path to ``ResultSubmitted`` is the same for all of them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from uuid import UUID

from pathwise_contracts import ResultSubmitted, ids


@dataclass(frozen=True, slots=True)
class Evidence:
    """One score of one student on one assessed thing."""

    source: str  # the standard: "xapi", "oneroster", "edfi", "caliper"
    source_id: str  # unique within the source
    identity: str  # identity digest (see domain.identity)
    activity: str  # "<kind>:<ref>", the key of the competency mapping
    score: float
    max_score: float
    occurred_at: datetime
    competency_id: str | None = None  # set when the input names it (CASE ids)

    def assessment_id(self, district: str) -> UUID:
        return ids.assessment_id(district, self.source, self.source_id)

    @property
    def legacy_id(self) -> UUID:
        """The id a result got before ids carried the district."""
        return ids.derive_event_id(self.source, self.source_id)

    @property
    def mapping_kind(self) -> str:
        return self.activity.split(":", 1)[0]

    @property
    def mapping_ref(self) -> str:
        return self.activity.split(":", 1)[1]

    def fingerprint(self, district: str) -> str:
        content = {
            "district": district,
            "identity": self.identity,
            "activity": self.activity,
            "competency_id": self.competency_id,
            "score": float(self.score),
            "max_score": float(self.max_score),
            "occurred_at": self.occurred_at.astimezone(UTC).isoformat(),
        }
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def event(
        self, assessment_id: UUID, competency_id: str | None, max_score_assumed: bool = False
    ) -> ResultSubmitted:
        """The submission as the log carries it, with the competency the mapping resolved.

        Its own id is ``submitted_event_id(assessment_id)``, not the assessment's,
        which the result will record under.
        """
        own = {f.name: getattr(self, f.name) for f in fields(self)}
        return ResultSubmitted(
            **{**own, "competency_id": competency_id},
            student_id=f"ext:{self.identity}",
            assessment_id=assessment_id,
            max_score_assumed=max_score_assumed,
        )


def submitted_event_id(assessment_id: UUID) -> UUID:
    return ids.derive_event_id(assessment_id, "submitted")


class Invalid(ValueError):
    """A document that is not valid in its standard; ``field`` says where."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail
