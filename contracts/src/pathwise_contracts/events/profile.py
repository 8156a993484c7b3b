"""Events produced by profile-svc on ``profile.events.v1``.

Names and contact details are EncryptedValue so erasing a person's key erases
them from the whole log.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from pathwise_contracts.events.base import EncryptedValue, Event
from pathwise_contracts.topics import PROFILE_EVENTS

_BCP47 = r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"


class Channel(StrEnum):
    """How a guardian can be reached."""

    EMAIL = "email"
    SMS = "sms"


class StudentEnrolled(Event):
    """A student joined a district; starts their profile and learning path."""

    type = "org.pathwise.profile.StudentEnrolled.v1"
    topic = PROFILE_EVENTS.name

    district_id: str = Field(min_length=1, description="District the student belongs to.")
    school_id: str | None = Field(default=None, description="School, if known.")
    grade: str | None = Field(default=None, description="Grade level, e.g. '5' or 'K'.")
    section_ids: list[str] = Field(
        default_factory=list, description="Class sections the student is in."
    )
    display_name: EncryptedValue | None = Field(
        default=None, description="The student's name, encrypted with the student's key."
    )


class GuardianLinked(Event):
    """A guardian was linked to a student, with how and whether to contact them."""

    type = "org.pathwise.profile.GuardianLinked.v1"
    topic = PROFILE_EVENTS.name

    guardian_id: str = Field(min_length=1, description="The guardian.")
    relationship: str = Field(min_length=1, description="E.g. 'mother', 'foster_parent'.")
    educational_rights: bool = Field(
        description="Whether the guardian holds educational rights (FERPA) for the student."
    )
    language: str = Field(
        default="en", pattern=_BCP47, description="Preferred language, BCP 47 tag."
    )
    email: EncryptedValue | None = Field(
        default=None, description="Email address, encrypted with the guardian's key."
    )
    phone: EncryptedValue | None = Field(
        default=None, description="Phone number, encrypted with the guardian's key."
    )
    consent: dict[Channel, bool] = Field(
        description="Consent to be contacted, per channel; a missing channel means no."
    )


class ContactPreferencesChanged(Event):
    """A guardian's language, contact details or consent changed (full new state)."""

    type = "org.pathwise.profile.ContactPreferencesChanged.v1"
    topic = PROFILE_EVENTS.name

    guardian_id: str = Field(min_length=1, description="The guardian.")
    language: str = Field(pattern=_BCP47, description="Preferred language, BCP 47 tag.")
    email: EncryptedValue | None = Field(
        default=None, description="Email address, encrypted; null means none on file."
    )
    phone: EncryptedValue | None = Field(
        default=None, description="Phone number, encrypted; null means none on file."
    )
    consent: dict[Channel, bool] = Field(
        description="Consent to be contacted, per channel; a missing channel means no."
    )
