"""An enrollment as a roster sync or an admin submits it, and the events it becomes.

Ids are derived from the student (and guardian), so a re-posted enrollment
produces the same events; the fingerprint says whether it is the same data.
The student's name is sealed with the student's erasable key; each guardian's
contact details with that guardian's erasable key (see ``personal``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pathwise_contracts import (
    Channel,
    EncryptedValue,
    Event,
    GuardianLinked,
    StudentEnrolled,
    derive_event_id,
)
from pathwise_contracts.identity import Identities

# derive_event_id joins its parts with "|", so ids must not contain it.
_ID = r"^[^|\s]+$"
_BCP47 = r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_E164 = r"^\+[1-9][0-9]{6,14}$"

Seal = Callable[[str, str], EncryptedValue]
"""Encrypts ``text`` with the key of data subject ``subject``."""


def seal_ids(seal: Seal, student_id: str, external_ids: dict[str, str]) -> EncryptedValue | None:
    """A student's ids in other systems, sealed with their key as one JSON object."""
    if not external_ids:
        return None
    return seal(student_id, json.dumps(external_ids, sort_keys=True))


class Consent(BaseModel):
    """Per-channel consent to be contacted; absent means no."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: bool = False
    sms: bool = False


class Guardian(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    guardian_id: str = Field(min_length=1, max_length=128, pattern=_ID)
    relationship: str = Field(min_length=1, max_length=64, examples=["mother"])
    educational_rights: bool = True
    email: str | None = Field(default=None, max_length=254, pattern=_EMAIL)
    phone: str | None = Field(default=None, pattern=_E164, description="E.164, e.g. +15551234567.")
    language: str = Field(default="en", pattern=_BCP47)
    consent: Consent = Consent()


class Enrollment(BaseModel):
    """The body of ``POST /v1/students``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    student_id: str = Field(min_length=1, max_length=128, pattern=_ID)
    district_id: str | None = Field(
        default=None, min_length=1, description="Defaults to the caller's district."
    )
    school_id: str | None = Field(default=None, min_length=1)
    grade: str | None = Field(default=None, min_length=1, max_length=16)
    section_ids: list[str] = Field(default_factory=list)
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    external_ids: dict[str, str] = Field(
        default_factory=dict,
        description="Ids in other systems: 'sis', 'oneroster' (sourcedId), 'edfi', 'lms:<name>'.",
    )
    guardians: list[Guardian] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _guardians_once(self) -> Self:
        ids = [g.guardian_id for g in self.guardians]
        if len(ids) != len(set(ids)):
            raise ValueError("guardians: each guardian_id may appear only once")
        return self

    def fingerprint(self, district: str, key: bytes) -> str:
        """Keyed digest of the data; guardian order does not matter."""
        # external_ids is left out while empty, so older enrollments keep their fingerprint.
        content = self.model_dump(
            mode="json", exclude=set() if self.external_ids else {"external_ids"}
        )
        content["district_id"] = district
        content["guardians"] = sorted(content["guardians"], key=lambda g: g["guardian_id"])
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()

    def events(
        self, district: str, seal: Seal, seal_contact: Seal, ids: Identities
    ) -> list[tuple[UUID, Event]]:
        """StudentEnrolled, then one GuardianLinked per guardian, with their ids.

        The ids name the district: another district's student of the same id is
        another person, whose events must not be taken for repeats of these.
        """
        sid = self.student_id
        enrolled = StudentEnrolled(
            student_id=sid,
            district_id=district,
            school_id=self.school_id,
            grade=self.grade,
            section_ids=self.section_ids,
            display_name=seal(sid, self.display_name) if self.display_name else None,
            sealed_external_ids=seal_ids(seal, sid, self.external_ids),
            identities=ids.of_student(sid, self.external_ids),
        )
        out: list[tuple[UUID, Event]] = [(derive_event_id("enroll", district, sid), enrolled)]
        for g in self.guardians:
            gid = g.guardian_id
            linked = GuardianLinked(
                student_id=sid,
                guardian_id=gid,
                relationship=g.relationship,
                educational_rights=g.educational_rights,
                language=g.language,
                email=seal_contact(gid, g.email) if g.email else None,
                phone=seal_contact(gid, g.phone) if g.phone else None,
                consent={Channel.EMAIL: g.consent.email, Channel.SMS: g.consent.sms},
            )
            out.append((derive_event_id("guardian", district, sid, gid), linked))
        return out
