"""Events produced by assessment-svc on ``assessment.events.v1``."""

from __future__ import annotations

from typing import Any, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from pathwise_contracts.events.base import EncryptedValue, Event
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


class ResultSubmitted(Event):
    """A result from another system (xAPI, OneRoster, Ed-Fi, Caliper, the ingest topic)
    whose student is named by an external identity.

    assessment-svc resolves the identity against enrolled students and then records
    ``AssessmentRecorded``; until the student is enrolled the result is parked, not lost.
    ``student_id`` is ``ext:<identity>`` here, so one source's results stay in order.
    """

    type = "org.pathwise.assessment.ResultSubmitted.v1"
    topic = ASSESSMENT_EVENTS.name

    assessment_id: UUID = Field(description="Id the recorded assessment will have.")
    identity: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="Keyed digest (HMAC-SHA256, the district's identity key) of the external "
        "identity (scheme and id), never the id itself.",
    )
    competency_id: str | None = Field(
        default=None, min_length=1, description="Mapped competency; null when unmapped."
    )
    activity: str = Field(
        min_length=1, description="What was assessed in the source, e.g. 'xapi:<activity IRI>'."
    )
    score: float = Field(ge=0, description="Points earned.")
    max_score: float = Field(gt=0, description="Points possible.")
    occurred_at: AwareDatetime = Field(description="When the student was assessed.")
    source: str = Field(min_length=1, description="Standard the result came in, e.g. 'xapi'.")
    source_id: str = Field(min_length=1, description="The result's id in the source.")
    max_score_assumed: bool = Field(
        default=False,
        description="max_score is the percent scale (100) because neither the standard nor "
        "a mapping gave one; a mapping arriving later with max_score replaces it.",
    )

    @model_validator(mode="after")
    def _score_within_max(self) -> Self:
        if self.score > self.max_score:
            raise ValueError("score must not exceed max_score")
        return self


class CompetencyMapping(BaseModel):
    """What a district's system calls an assessed item, and the competency it measures."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    kind: str = Field(min_length=1, description="e.g. 'xapi_activity', 'oneroster_line_item'.")
    ref: str = Field(min_length=1, description="The item's id in that kind, e.g. an IRI.")
    competency_id: str = Field(min_length=1, description="Competency the item measures.")
    max_score: float | None = Field(
        default=None, gt=0, description="Points possible where the standard carries none."
    )


class CompetencyMappingsChanged(Event):
    """A district added or replaced competency mappings (no personal data).

    Not about one student: ``student_id`` carries the partition key
    ``district:<id>`` so a district's changes stay in order. A row changes only
    for a later (``changed_at``, event id), so re-applying or reordering events
    leaves the newest mapping.
    """

    type = "org.pathwise.assessment.CompetencyMappingsChanged.v1"
    topic = ASSESSMENT_EVENTS.name

    mappings: list[CompetencyMapping] = Field(
        min_length=1, description="The mappings set, one per (kind, ref)."
    )
    changed_at: AwareDatetime = Field(description="When the district changed them.")


class SubmissionVoided(Event):
    """A submitted result was withdrawn at its source (e.g. an xAPI voiding statement)."""

    type = "org.pathwise.assessment.SubmissionVoided.v1"
    topic = ASSESSMENT_EVENTS.name

    assessment_id: UUID = Field(description="Id of the withdrawn result.")
    reason: str = Field(
        max_length=64, pattern=r"^[a-z][a-z0-9_]*$", description="Reason code, never free text."
    )


class StatementStored(Event):
    """An xAPI statement accepted by the LRS; the statement itself is encrypted.

    The clear fields are what the Statement Resource filters on; agents appear only
    as keyed identity digests of their identifier (``pathwise_contracts.identity``).
    """

    type = "org.pathwise.assessment.StatementStored.v1"
    topic = ASSESSMENT_EVENTS.name

    statement_id: UUID = Field(description="The statement's id.")
    statement: EncryptedValue = Field(description="The stored statement JSON, encrypted.")
    verb: str = Field(min_length=1, description="Verb IRI.")
    activity: str | None = Field(default=None, description="Object activity IRI, if any.")
    agent: str = Field(pattern=r"^[0-9a-f]{64}$", description="Digest of the actor.")
    related_agents: list[str] = Field(
        default_factory=list, description="Digests of every agent the statement names."
    )
    related_activities: list[str] = Field(
        default_factory=list, description="Every activity IRI the statement names."
    )
    registration: UUID | None = Field(default=None, description="context.registration.")
    voids: UUID | None = Field(default=None, description="Statement this one voids.")
    stored: AwareDatetime = Field(description="When the LRS stored it.")
    timestamp: AwareDatetime = Field(description="The statement's timestamp.")
    definitions: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Activity definitions the statement gives, by activity IRI: what the "
        "activities are, never who did them; the LRS's canonical definitions.",
    )
