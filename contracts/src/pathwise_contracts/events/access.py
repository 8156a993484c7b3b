"""Reads of a student's record, one event per read: FERPA's record of disclosures.

Every service that answers a request about a student emits one on its own
access topic (``<service>.access.v1``) through its outbox, and profile-svc
projects all four into one access log per (district, student). Ids only: who
read (role, id, district), which part of the record, through which endpoint
(the route template, never a filled-in path), when and for what purpose.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from pathwise_contracts.events.base import Event
from pathwise_contracts.topics import (
    ASSESSMENT_ACCESS,
    NOTIFY_ACCESS,
    PATH_ACCESS,
    PROFILE_ACCESS,
)

PrincipalKind = Literal["admin", "teacher", "guardian", "student", "service"]


class RecordAccessed(Event):
    """Fields every service's access event carries; each service has its own type."""

    principal_kind: PrincipalKind = Field(description="The caller's role.")
    principal_id: str = Field(min_length=1, description="The caller's id (JWT sub).")
    principal_district: str = Field(min_length=1, description="The caller's district.")
    section: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_-]*$",
        description="Which part of the record was read, e.g. 'results', 'path', 'messages'.",
    )
    endpoint: str = Field(
        min_length=1,
        max_length=200,
        description="Method and route template, e.g. 'GET /v1/students/{student_id}/path'.",
    )
    purpose: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_-]*$",
        description="Why: 'record-read' for an ordinary read, 'record-export' for an export.",
    )
    accessed_at: AwareDatetime = Field(description="When the read was answered.")
    export_id: UUID | None = Field(
        default=None,
        description="Set on the reads one record export made of every service: part of "
        "that export, not separate reads by a user.",
    )


class ProfileRecordAccessed(RecordAccessed):
    """profile-svc answered about the student: profile, list, export."""

    type = "org.pathwise.profile.RecordAccessed.v1"
    topic = PROFILE_ACCESS.name


class AssessmentRecordAccessed(RecordAccessed):
    """assessment-svc answered about the student: results, statements."""

    type = "org.pathwise.assessment.RecordAccessed.v1"
    topic = ASSESSMENT_ACCESS.name


class PathRecordAccessed(RecordAccessed):
    """path-svc answered about the student: path, its history, mastery, overrides."""

    type = "org.pathwise.path.RecordAccessed.v1"
    topic = PATH_ACCESS.name


class NotifyRecordAccessed(RecordAccessed):
    """notify-svc answered about the student: messages sent to the family."""

    type = "org.pathwise.notify.RecordAccessed.v1"
    topic = NOTIFY_ACCESS.name
