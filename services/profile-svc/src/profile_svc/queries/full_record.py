"""A student's complete record (FERPA inspection): every service's part in one document.

Schema ``pathwise.record-export.v1`` (documented in docs/roster-and-privacy.md;
its JSON Schema is served at ``GET /v1/record-schema``): the profile and its
consent history from profile-svc, results and xAPI statements from
assessment-svc, the path, its history with the reason of every replan and
mastery from path-svc, the messages sent to the family from notify-svc, and
the access log of every service's reads. Fields are only ever added within v1.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from profile_svc.queries import disclosures, records
from profile_svc.queries import profiles as queries

SCHEMA: Literal["pathwise.record-export.v1"] = "pathwise.record-export.v1"


class ExportedBy(BaseModel):
    kind: str = Field(description="The principal's role: admin or guardian.")
    id: str
    district: str


class Assessments(BaseModel):
    results: list[dict[str, Any]] = Field(
        description="Every result (assessment_id, competency_id, score, max_score, occurred_at, "
        "source, voided, void_reason ...), newest first."
    )
    statements: list[dict[str, Any]] = Field(description="xAPI statements by the student.")


class Learning(BaseModel):
    path: dict[str, Any] | None = Field(description="The current path: steps with reasons.")
    history: list[dict[str, Any]] = Field(
        description="Every replan, newest first: steps, added, removed, reason, replanned_at."
    )
    mastery: list[dict[str, Any]] = Field(
        description="Per competency: p_mastery, attempts, mastered, mastered_at."
    )


class Message(BaseModel):
    notification_id: UUID
    guardian_id: str
    channel: str
    at: datetime
    summary: str | None = Field(description="What it was about (the trigger).")
    template: str | None
    status: str
    reason: str | None
    language: str | None
    delivery: str | None


class FullRecord(BaseModel):
    schema_: Literal["pathwise.record-export.v1"] = Field(SCHEMA, alias="schema")
    export_id: UUID = Field(description="Names this export; its reads of each service carry it.")
    exported_at: datetime
    exported_by: ExportedBy
    district_id: str
    student_id: str
    language: str = Field(description="The language the readable copy is written in.")
    profile: queries.StudentView
    consent_history: list[records.ConsentEntry]
    assessments: Assessments
    learning: Learning
    messages: list[Message] = Field(description="What the family was sent, oldest first.")
    access_log: list[disclosures.Disclosure] = Field(
        description="Every read of the record by any service or user, this export included."
    )

    model_config = {"populate_by_name": True}


def assemble(
    record: records.StudentRecord,
    sections: dict[str, dict[str, Any]],
    *,
    export_id: UUID,
    exported_by: ExportedBy,
    language: str,
) -> FullRecord:
    """The document from profile-svc's record and the other services' sections."""
    learning = sections["learning"]
    return FullRecord(
        export_id=export_id,
        exported_at=record.exported_at,
        exported_by=exported_by,
        district_id=record.profile.district_id,
        student_id=record.profile.student_id,
        language=language,
        profile=record.profile,
        consent_history=record.consent_history,
        assessments=Assessments(
            results=sections["assessments"]["results"],
            statements=sections["assessments"]["statements"],
        ),
        learning=Learning(
            path=learning.get("path"),
            history=(learning.get("history") or {}).get("replans", []),
            mastery=(learning.get("mastery") or {}).get("competencies", []),
        ),
        messages=[Message.model_validate(m) for m in sections["messages"]["messages"]],
        access_log=record.access_log,
    )
