"""A guardian's contact preferences and consent: bodies and the events they become.

``ContactPreferencesChanged`` carries the full new state, as notify-svc
expects; a consent change is also recorded on its own (``ConsentChanged``,
with source and time) so the opt-out history survives later changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Self
from zoneinfo import available_timezones

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from pathwise_contracts import (
    Channel,
    ConsentChanged,
    EncryptedValue,
    Event,
    Frequency,
    QuietHours,
)
from pathwise_contracts.events.profile import ConsentSource
from profile_svc.domain.stream import GuardianState

_BCP47 = r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_E164 = r"^\+[1-9][0-9]{6,14}$"

Seal = Callable[[str, str], EncryptedValue]


class ContactPreferences(BaseModel):
    """The body of ``PUT .../guardians/{guardian_id}/contact``: the full new state."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: str | None = Field(default=None, max_length=254, pattern=_EMAIL)
    phone: str | None = Field(default=None, pattern=_E164, description="E.164.")
    language: str = Field(default="en", pattern=_BCP47)
    time_zone: str | None = Field(default=None, examples=["America/Chicago"])
    quiet_hours: QuietHours | None = None
    frequency: dict[Channel, Frequency] = Field(default_factory=dict)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in available_timezones():
            raise ValueError("must be an IANA time zone, e.g. 'America/Chicago'")
        return value

    def applied(
        self, current: GuardianState, guardian_id: str, seal_contact: Seal
    ) -> GuardianState:
        """The guardian with these preferences; an unchanged detail keeps its ciphertext."""
        return current.model_copy(
            update={
                "email": seal_contact(guardian_id, self.email) if self.email else None,
                "phone": seal_contact(guardian_id, self.phone) if self.phone else None,
                "language": self.language,
                "time_zone": self.time_zone,
                "quiet_hours": self.quiet_hours,
                "frequency": dict(self.frequency),
            }
        )


class ConsentDecision(BaseModel):
    """The body of ``POST .../guardians/{guardian_id}/consent``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: Channel
    granted: bool
    source: ConsentSource
    given_at: AwareDatetime | None = Field(
        default=None, description="When the guardian said so; defaults to now."
    )

    def with_time(self, now: datetime) -> Self:
        return self if self.given_at else self.model_copy(update={"given_at": now})

    def events(
        self, current: GuardianState, student_id: str, guardian_id: str, version: int
    ) -> list[Event]:
        """ConsentChanged for the record, then the full new contact state."""
        assert self.given_at is not None  # with_time() first
        recorded = ConsentChanged(
            student_id=student_id,
            version=version,
            guardian_id=guardian_id,
            channel=self.channel,
            granted=self.granted,
            source=self.source,
            given_at=self.given_at,
        )
        after = current.model_copy(
            update={"consent": {**current.consent, self.channel: self.granted}}
        )
        return [recorded, after.preferences(student_id, guardian_id, version)]
