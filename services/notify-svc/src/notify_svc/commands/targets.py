"""Which notification, to whom, about what: what every delivery outcome event names."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from pathwise_contracts import (
    Channel,
    Envelope,
    NotificationDeliveryReported,
    NotificationFailed,
    NotificationScheduled,
    NotificationSent,
    NotificationSuppressed,
)


@dataclass(frozen=True, slots=True)
class Target:
    """Which notification, to whom, about what: the fields every outcome event names."""

    notification_id: str
    student_id: str
    district_id: str
    guardian_id: str
    channel: str
    cause_event_id: str
    audience: str = "guardians"

    @classmethod
    def of(cls, row: asyncpg.Record) -> Target:
        return cls(
            notification_id=str(row["notification_id"]),
            student_id=row["student_id"],
            district_id=row["district_id"],
            guardian_id=row["guardian_id"],
            channel=row["channel"],
            cause_event_id=str(row["cause_event_id"]),
            audience=row.get("audience") or "guardians",
        )

    def fields(self) -> dict[str, object]:
        return {
            "student_id": self.student_id,
            "notification_id": uuid.UUID(self.notification_id),
            "guardian_id": self.guardian_id,
            "recipient": "teacher" if self.audience == "teachers" else "guardian",
            "channel": Channel(self.channel),
            "cause_event_id": uuid.UUID(self.cause_event_id),
        }


def wrap(
    event: NotificationSent
    | NotificationFailed
    | NotificationSuppressed
    | NotificationScheduled
    | NotificationDeliveryReported,
    event_id: uuid.UUID,
    target: Target,
    source: str,
) -> Envelope:
    """The outcome event as the log carries it, addressed to the target's district."""
    return Envelope.wrap(
        event, id=event_id, source=source, district_id=target.district_id, time=datetime.now(UTC)
    )
