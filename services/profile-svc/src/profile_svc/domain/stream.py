"""A student's stream as commands see it: just what decisions and access checks need.

The state is a fold of the stream's own events (``evolve``), stored beside the
version so a command never waits for the projection to catch up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from pathwise_contracts import (
    AccommodationsChanged,
    Channel,
    ContactPreferencesChanged,
    EncryptedValue,
    EnrollmentChanged,
    Event,
    Frequency,
    GuardianLinked,
    GuardianUnlinked,
    QuietHours,
    StudentEnrolled,
    StudentWithdrawn,
    SubjectErased,
)


class GuardianState(BaseModel):
    """A guardian's link and full contact state (personal fields sealed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    relationship: str
    educational_rights: bool
    language: str = "en"
    email: EncryptedValue | None = None
    phone: EncryptedValue | None = None
    consent: dict[Channel, bool] = {}
    time_zone: str | None = None
    quiet_hours: QuietHours | None = None
    frequency: dict[Channel, Frequency] = {}

    def preferences(
        self, student_id: str, guardian_id: str, version: int
    ) -> ContactPreferencesChanged:
        """The full-state event notify-svc keeps its guardians from."""
        return ContactPreferencesChanged(
            student_id=student_id,
            guardian_id=guardian_id,
            language=self.language,
            email=self.email,
            phone=self.phone,
            consent={c: self.consent.get(c, False) for c in Channel},
            time_zone=self.time_zone,
            quiet_hours=self.quiet_hours,
            frequency={c: self.frequency.get(c, Frequency.INSTANT) for c in Channel},
            version=version,
        )


class StreamState(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Literal["enrolled", "withdrawn", "erased"] = "enrolled"
    section_ids: list[str] = []
    guardians: dict[str, GuardianState] = {}
    # Enrollment facts, so a roster sync can tell what changed without the projection.
    school_id: str | None = None
    grade: str | None = None
    display_name: EncryptedValue | None = None
    external_ids: dict[str, str] = {}  # only from events that carried them in clear
    sealed_external_ids: EncryptedValue | None = None
    # The plan's codes and sealed details, so a roster sync changes the codes and keeps the
    # details; None: not known (a state stored before the stream kept them, migration 0009).
    requirements: list[str] | None = []
    accommodation_details: EncryptedValue | None = None


def evolve(state: StreamState, events: Iterable[Event]) -> StreamState:
    """The state after ``events``, in order."""
    for event in events:
        if isinstance(event, StudentEnrolled | EnrollmentChanged):
            state = state.model_copy(
                update={
                    "section_ids": list(event.section_ids),
                    "school_id": event.school_id,
                    "grade": event.grade,
                    "display_name": event.display_name,
                    "external_ids": dict(event.external_ids),
                    "sealed_external_ids": event.sealed_external_ids,
                }
            )
        elif isinstance(event, GuardianLinked):
            guardian = GuardianState(
                relationship=event.relationship,
                educational_rights=event.educational_rights,
                language=event.language,
                email=event.email,
                phone=event.phone,
                consent=dict(event.consent),
            )
            state = _with_guardian(state, event.guardian_id, guardian)
        elif isinstance(event, ContactPreferencesChanged) and event.guardian_id in state.guardians:
            current = state.guardians[event.guardian_id]
            changed = current.model_copy(
                update={
                    "language": event.language,
                    "email": event.email,
                    "phone": event.phone,
                    "consent": dict(event.consent),
                    "time_zone": event.time_zone,
                    "quiet_hours": event.quiet_hours,
                    "frequency": dict(event.frequency or {}),
                }
            )
            state = _with_guardian(state, event.guardian_id, changed)
        elif isinstance(event, GuardianUnlinked):
            rest = {g: v for g, v in state.guardians.items() if g != event.guardian_id}
            state = state.model_copy(update={"guardians": rest})
        elif isinstance(event, AccommodationsChanged):
            state = state.model_copy(
                update={
                    "requirements": list(event.requirements),
                    "accommodation_details": event.details,
                }
            )
        elif isinstance(event, StudentWithdrawn):
            state = state.model_copy(update={"status": "withdrawn"})
        elif isinstance(event, SubjectErased):
            state = _erased(state, event)
    return state


def _with_guardian(state: StreamState, guardian_id: str, guardian: GuardianState) -> StreamState:
    return state.model_copy(update={"guardians": {**state.guardians, guardian_id: guardian}})


def _erased(state: StreamState, event: SubjectErased) -> StreamState:
    if event.kind == "student":
        return StreamState(status="erased")
    rest = {g: v for g, v in state.guardians.items() if g != event.subject_id}
    return state.model_copy(update={"guardians": rest})
