"""Providers' delivery-report words, in Pathwise's terms.

Twilio and Vonage each have their own status vocabulary; the delivery log and
the family portal need one answer: did the text reach the handset, will it
not, or is it still on its way.
"""

from __future__ import annotations

from typing import Literal

Outcome = Literal["delivered", "not_delivered", "pending"]

DELIVERED = frozenset({"delivered", "read"})
# Twilio: undelivered, failed, canceled; Vonage: failed, expired, rejected.
NOT_DELIVERED = frozenset({"undelivered", "failed", "canceled", "expired", "rejected"})


def outcome(provider_status: str) -> Outcome:
    """``delivered``, ``not_delivered`` or, for anything else (queued, buffered, ...), pending."""
    word = provider_status.strip().lower()
    if word in DELIVERED:
        return "delivered"
    if word in NOT_DELIVERED:
        return "not_delivered"
    return "pending"
