"""Events produced by notify-svc on ``notify.events.v1``.

Every notification decision is logged, including suppressions, so "why did (or
didn't) this guardian hear about it?" is answerable from the log alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from pathwise_contracts.events.base import Event
from pathwise_contracts.events.profile import Channel
from pathwise_contracts.topics import NOTIFY_EVENTS


class _Notification(Event):
    """Fields shared by every outcome of one notification."""

    topic = NOTIFY_EVENTS.name

    notification_id: UUID = Field(description="Deterministic id of the notification.")
    guardian_id: str = Field(
        min_length=1, description="Who is addressed: a guardian, or a teacher (see recipient)."
    )
    recipient: Literal["guardian", "teacher"] = Field(
        default="guardian",
        description="What guardian_id names: a guardian, or a teacher for staff alerts.",
    )
    channel: Channel = Field(description="Channel used or considered.")
    cause_event_id: UUID = Field(description="Id of the event the notification is about.")


class NotificationSent(_Notification):
    """The provider accepted the message."""

    type = "org.pathwise.notify.NotificationSent.v1"

    template: str = Field(min_length=1, description="Message template name.")


class NotificationSuppressed(_Notification):
    """A notification was deliberately not sent."""

    type = "org.pathwise.notify.NotificationSuppressed.v1"

    reason: Literal[
        "no_consent", "opted_out", "no_rights", "no_contact", "quiet_hours", "digest"
    ] = Field(description="Why it was not sent.")


class NotificationFailed(_Notification):
    """A send attempt failed; ``final`` means no more retries."""

    type = "org.pathwise.notify.NotificationFailed.v1"

    attempt: int = Field(ge=1, description="Attempt number, from 1.")
    error: str = Field(
        max_length=500,
        description="Provider error, scrubbed of addresses and numbers (no personal data).",
    )
    final: bool = Field(description="True when the notification is given up on.")


class NotificationScheduled(_Notification):
    """The sender took a planned notification on: the first state of its life.

    Emitted exactly once per notification, when the sender first claims it; what
    follows (held, sent, failed, dead) names the same ``notification_id``. It
    carries what the delivery log shows besides the outcome: the trigger and the
    language the guardian asked for.
    """

    type = "org.pathwise.notify.NotificationScheduled.v1"

    cause: str = Field(
        min_length=1,
        max_length=64,
        description="Trigger from notify-svc's rules (e.g. competency_mastered, support_needed).",
    )
    language: str = Field(
        min_length=1, max_length=35, description="Language tag asked for (before any fallback)."
    )
    planned_at: datetime = Field(description="When the notification was planned to go out.")


class NotificationDeliveryReported(_Notification):
    """The provider reported what became of a sent message (an SMS delivery receipt).

    The id is derived from the notification and the provider's status, so a
    provider repeating the same report produces the same event and is dropped.
    """

    type = "org.pathwise.notify.NotificationDeliveryReported.v1"

    provider: str = Field(min_length=1, max_length=32, description="e.g. 'twilio' or 'vonage'.")
    provider_status: str = Field(
        min_length=1, max_length=32, description="The provider's status word, as reported."
    )
    outcome: Literal["delivered", "not_delivered", "pending"] = Field(
        description="The status in Pathwise's terms: reached the handset, will not, or not yet."
    )
