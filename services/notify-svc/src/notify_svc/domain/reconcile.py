"""What to do with a delivery whose outcome is unknown, given the provider's answer.

A send that timed out (or lost its connection) after the request was written
may or may not have reached the family. Resending blindly risks a second
message; closing it blindly risks a lost one. So the provider is asked by the
message's reference, and only its answer decides. An answer of "not there" is
believed only after ``grace``, since a provider's records can lag the request;
and after ``give_up`` without an answer the delivery is failed, so an operator
sees it instead of it staying open for ever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

# found: the provider has the message; absent: it says it never got it;
# unavailable: it could not be asked now; no_lookup: it has no way to be asked
# (a mail relay without a lookup: resending with the same Message-ID is safe,
# since mail stores de-duplicate by it).
Answer = Literal["found", "absent", "unavailable", "no_lookup"]
Action = Literal["record_sent", "resend", "wait", "give_up"]


@dataclass(frozen=True, slots=True)
class Policy:
    """How long an answer of "not there" is doubted, and when to stop asking."""

    grace: timedelta = timedelta(minutes=2)
    give_up: timedelta = timedelta(minutes=15)
    resends: int = 1


def settle(
    answer: Answer,
    *,
    since_send: timedelta,
    since_unknown: timedelta,
    resends: int,
    policy: Policy,
) -> Action:
    """The next step for one unknown delivery.

    ``since_send`` is the age of the last request (the one whose fate is
    unknown), ``since_unknown`` the time since the delivery first became
    unknown, ``resends`` how often settling has already sent it again.
    """
    if answer == "found":
        return "record_sent"
    overdue = since_unknown >= policy.give_up
    if answer == "absent" and since_send < policy.grace:
        return "give_up" if overdue else "wait"
    if answer in ("absent", "no_lookup"):
        return "resend" if resends < policy.resends and not overdue else "give_up"
    return "give_up" if overdue else "wait"


def reason(action: Action, answer: Answer, resends: int = 0) -> str:
    """The log's words for a settled delivery (never a recipient's address)."""
    if action == "resend":
        if answer == "no_lookup":
            return "outcome unknown; sent again with the same Message-ID (de-duplicated)"
        return "outcome unknown; the provider never got it; sent again"
    if answer in ("absent", "no_lookup") and resends:
        return "outcome unknown; still not settled after it was sent again; not resent"
    if answer == "absent":
        return "outcome unknown; the provider does not have it and time ran out; not resent"
    return "outcome unknown; the provider could not be asked in time; not resent"
