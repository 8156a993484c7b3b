"""Events produced by profile-svc on ``profile.events.v1``.

Names and contact details are EncryptedValue so erasing a person's key erases
them from the whole log.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from pathwise_contracts.events.base import EncryptedValue, Event
from pathwise_contracts.events.path import Modality
from pathwise_contracts.topics import PROFILE_EVENTS

_BCP47 = r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"

ConsentSource = Literal[
    "portal", "paper_form", "phone", "sms_stop", "email_link", "roster", "admin"
]


class Channel(StrEnum):
    """How a guardian can be reached."""

    EMAIL = "email"
    SMS = "sms"


class Frequency(StrEnum):
    """How often a guardian wants to hear on one channel."""

    INSTANT = "instant"
    DAILY_DIGEST = "daily_digest"
    OFF = "off"


class QuietHours(BaseModel):
    """A daily window, in the guardian's time zone, when nothing is sent (may wrap midnight)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: time = Field(description="Local time the quiet window starts, e.g. 21:00.")
    end: time = Field(description="Local time the quiet window ends, e.g. 07:00.")


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
    external_ids: dict[str, str] = Field(
        default_factory=dict,
        description="Ids in other systems, in clear: only on events written before they were "
        "sealed; new events carry them in sealed_external_ids.",
    )
    sealed_external_ids: EncryptedValue | None = Field(
        default=None,
        description="Ids in other systems as a JSON object (e.g. {'sis': ..., 'oneroster': "
        "sourcedId, 'edfi': ...}), encrypted with the student's key.",
    )
    identities: list[str] | None = Field(
        default=None,
        description="Keyed digests (HMAC-SHA256, the district's identity key) of every "
        "identity the student answers to, for matching results from other systems; "
        "null on events written before digests were keyed.",
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
    version: int | None = Field(
        default=None, ge=1, description="Student stream version after this event, if not 1."
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
    time_zone: str | None = Field(
        default=None, description="IANA time zone the quiet hours are in, e.g. 'America/Chicago'."
    )
    quiet_hours: QuietHours | None = Field(default=None, description="No messages in this window.")
    frequency: dict[Channel, Frequency] | None = Field(
        default=None, description="Per-channel frequency; a missing channel means instant."
    )
    version: int | None = Field(
        default=None, ge=1, description="Student stream version after this event."
    )


class ProfileEvent(Event):
    """A change on a student's stream after enrollment; ``version`` is the stream's new ETag."""

    version: int = Field(ge=2, description="Student stream version after this event.")


class StudentWithdrawn(ProfileEvent):
    """The student left the district (or the school); the profile is kept read-only."""

    type = "org.pathwise.profile.StudentWithdrawn.v1"
    topic = PROFILE_EVENTS.name

    withdrawn_on: date = Field(description="Last day of enrollment.")
    reason: Literal["transferred", "graduated", "dropped_out", "other"] = Field(
        description="Why the student left."
    )


class StrengthsAndNeedsChanged(ProfileEvent):
    """The student's strengths and needs, as tags or competency ids (full new state)."""

    type = "org.pathwise.profile.StrengthsAndNeedsChanged.v1"
    topic = PROFILE_EVENTS.name

    strengths: list[str] = Field(description="E.g. 'visual_reasoning', 'math.fractions'.")
    needs: list[str] = Field(description="E.g. 'reading_fluency'.")


class InterestsChanged(ProfileEvent):
    """What the student is interested in, as tags (full new state)."""

    type = "org.pathwise.profile.InterestsChanged.v1"
    topic = PROFILE_EVENTS.name

    interests: list[str] = Field(description="Tags, e.g. 'space', 'music'.")


class ModalityPreferencesChanged(ProfileEvent):
    """How the student prefers (and prefers not) to learn (full new state)."""

    type = "org.pathwise.profile.ModalityPreferencesChanged.v1"
    topic = PROFILE_EVENTS.name

    preferred: list[Modality] = Field(description="Modalities that work, best first.")
    avoided: list[Modality] = Field(description="Modalities to avoid.")


class GoalSet(ProfileEvent):
    """A goal agreed by student and teacher was set or revised."""

    type = "org.pathwise.profile.GoalSet.v1"
    topic = PROFILE_EVENTS.name

    goal_id: str = Field(min_length=1, description="The goal, stable across revisions.")
    competency_ids: list[str] = Field(description="Target competencies.")
    target_date: date | None = Field(default=None, description="When it should be reached.")
    status: Literal["active", "achieved", "dropped"] = Field(description="Where the goal stands.")
    agreed_by: list[Literal["student", "teacher", "guardian"]] = Field(
        description="Who agreed to this revision."
    )
    note: EncryptedValue | None = Field(
        default=None, description="Free text, encrypted with the student's key."
    )


class AccommodationsChanged(ProfileEvent):
    """What the student's plans (IEP, 504, language support) require (full new state).

    The instructional requirements travel in clear because planning needs them;
    the plan itself and its details are encrypted with the student's key.
    """

    type = "org.pathwise.profile.AccommodationsChanged.v1"
    topic = PROFILE_EVENTS.name

    requirements: list[str] = Field(
        description="E.g. 'small_group_instruction', 'extended_time', 'read_aloud'."
    )
    details: EncryptedValue | None = Field(
        default=None, description="Plans and their details as JSON, encrypted."
    )


class ReflectionRecorded(ProfileEvent):
    """The student wrote a short self-assessment."""

    type = "org.pathwise.profile.ReflectionRecorded.v1"
    topic = PROFILE_EVENTS.name

    reflection_id: str = Field(min_length=1, description="The reflection.")
    text: EncryptedValue = Field(description="What the student wrote, encrypted.")
    competency_ids: list[str] = Field(default_factory=list, description="What it is about.")
    confidence: int | None = Field(default=None, ge=1, le=4, description="1 (lost) to 4 (sure).")


class ConsentChanged(ProfileEvent):
    """A guardian gave or withdrew consent on one channel; with its source, for the record."""

    type = "org.pathwise.profile.ConsentChanged.v1"
    topic = PROFILE_EVENTS.name

    guardian_id: str = Field(min_length=1, description="The guardian.")
    channel: Channel = Field(description="The channel consented to or opted out of.")
    granted: bool = Field(description="True: consent given; false: opt-out.")
    source: Literal[
        "portal", "paper_form", "phone", "sms_stop", "email_link", "roster", "admin"
    ] = Field(description="How the guardian said so.")
    given_at: AwareDatetime = Field(description="When the guardian said so.")


class SubjectErased(ProfileEvent):
    """A person's keys were destroyed: drop every row about them and forget them.

    ``subject_id`` is the student (then everything about the student goes) or
    one of their guardians (then that guardian's link goes).
    """

    type = "org.pathwise.profile.SubjectErased.v1"
    topic = PROFILE_EVENTS.name

    subject_id: str = Field(min_length=1, description="The erased person.")
    kind: Literal["student", "guardian"] = Field(description="What the erased person was.")
    erased_at: datetime = Field(description="When the keys were destroyed.")


class EnrollmentChanged(ProfileEvent):
    """The student's enrollment facts changed, e.g. from a roster sync (full new state).

    Carries school, grade, sections, name and external ids as they now are, so
    a consumer that keeps any of them replaces what it had.
    """

    type = "org.pathwise.profile.EnrollmentChanged.v1"
    topic = PROFILE_EVENTS.name

    school_id: str | None = Field(default=None, description="School, if known.")
    grade: str | None = Field(default=None, description="Grade level, e.g. '5' or 'K'.")
    section_ids: list[str] = Field(description="Class sections the student is now in.")
    display_name: EncryptedValue | None = Field(
        default=None, description="The student's name, encrypted with the student's key."
    )
    external_ids: dict[str, str] = Field(
        default_factory=dict,
        description="Ids in other systems, in clear: only on events written before they were "
        "sealed; new events carry them in sealed_external_ids.",
    )
    sealed_external_ids: EncryptedValue | None = Field(
        default=None,
        description="Ids in other systems (the full new set) as a JSON object, encrypted "
        "with the student's key.",
    )
    identities: list[str] | None = Field(
        default=None,
        description="Keyed digests (HMAC-SHA256, the district's identity key) of every "
        "identity the student answers to, for matching results from other systems; "
        "null on events written before digests were keyed.",
    )


class GuardianUnlinked(ProfileEvent):
    """A guardian is no longer linked to the student (e.g. removed from the roster).

    Unlike erasure, nothing is destroyed: the guardian simply stops being
    someone to inform about this student.
    """

    type = "org.pathwise.profile.GuardianUnlinked.v1"
    topic = PROFILE_EVENTS.name

    guardian_id: str = Field(min_length=1, description="The guardian.")
    reason: Literal["roster", "admin"] = Field(description="Who removed the link.")


class AssignedTeacher(BaseModel):
    """One teacher of the student and how to reach them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    teacher_id: str = Field(min_length=1, description="The teacher (OneRoster user sourcedId).")
    email: EncryptedValue | None = Field(
        default=None, description="Email address, encrypted with the teacher's key."
    )


class TeachersAssigned(Event):
    """Who teaches the student now, through the sections they are in (full new set).

    Emitted when a section's teachers, a teacher's email or the student's
    sections change; a consumer replaces the set it had. Not a step of the
    student's stream (section teaching is roster data), so it has no version;
    the topic orders a student's events.
    """

    type = "org.pathwise.profile.TeachersAssigned.v1"
    topic = PROFILE_EVENTS.name

    teachers: list[AssignedTeacher] = Field(
        description="Every teacher of the student's sections, by teacher_id."
    )
