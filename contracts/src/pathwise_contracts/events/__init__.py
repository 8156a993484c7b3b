"""Pathwise v1 events; importing this package registers every event type."""

from pathwise_contracts.events.assessment import AssessmentRecorded, AssessmentVoided
from pathwise_contracts.events.base import (
    EVENT_TYPES,
    EncryptedValue,
    Event,
    UnknownEventType,
    schema_uri,
)
from pathwise_contracts.events.notify import (
    NotificationFailed,
    NotificationSent,
    NotificationSuppressed,
)
from pathwise_contracts.events.path import (
    CompetencyMastered,
    MasteryUpdated,
    Modality,
    PathReplanned,
    PathStep,
    SupportNeeded,
)
from pathwise_contracts.events.profile import (
    Channel,
    ContactPreferencesChanged,
    GuardianLinked,
    StudentEnrolled,
)

__all__ = [
    "EVENT_TYPES",
    "AssessmentRecorded",
    "AssessmentVoided",
    "Channel",
    "CompetencyMastered",
    "ContactPreferencesChanged",
    "EncryptedValue",
    "Event",
    "GuardianLinked",
    "MasteryUpdated",
    "Modality",
    "NotificationFailed",
    "NotificationSent",
    "NotificationSuppressed",
    "PathReplanned",
    "PathStep",
    "StudentEnrolled",
    "SupportNeeded",
    "UnknownEventType",
    "schema_uri",
]
