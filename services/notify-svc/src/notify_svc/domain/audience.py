"""Who may be told, and about which facts.

A guardian is reachable by email (by SMS) while they hold educational rights, have
consented to the channel and have an address (a phone number) on file. They hear about facts from
the moment they became reachable, and about the day before it (so a guardian
linked right after a success still hears of it), never older news.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from pathwise_contracts import Channel

CHANNEL = Channel.EMAIL
NEWS_GRACE = timedelta(days=1)


def reachable_by_email(
    educational_rights: bool, consent: Mapping[Channel, bool], has_email: bool
) -> bool:
    """Whether email to this guardian about their student is allowed and possible."""
    return educational_rights and consent.get(CHANNEL, False) and has_email


def reachable_by_sms(
    educational_rights: bool, consent: Mapping[Channel, bool], has_phone: bool
) -> bool:
    """Whether text messages to this guardian about their student are allowed and possible."""
    return educational_rights and consent.get(Channel.SMS, False) and has_phone
