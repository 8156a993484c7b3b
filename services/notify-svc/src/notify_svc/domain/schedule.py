"""When a planned message may go out: now, later (held), or not at all.

Pure: the caller passes the time. The sender owns the clock (a test can move
it), so "is it quiet hours?" is never decided by the projection, whose rows
must be a function of the log alone. A hold delays and never drops: the row
waits in the sender's table until the time it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notify_svc.domain.rules import Rule

Frequency = Literal["instant", "daily_digest", "off"]
HoldReason = Literal["quiet_hours", "digest", "scheduled", "coalesce"]


@dataclass(frozen=True, slots=True)
class Preferences:
    """A guardian's schedule on one channel; defaults are UTC, no quiet hours, instant."""

    time_zone: str
    frequency: Frequency = "instant"
    quiet_start: time | None = None
    quiet_end: time | None = None

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class Decision:
    """``send`` now, ``hold`` until ``until`` (with ``reason``), or ``suppress``."""

    action: Literal["send", "hold", "suppress"]
    until: datetime | None = None
    reason: HoldReason | Literal["opted_out"] | None = None
    digest: bool = False


def batched(rule: Rule, prefs: Preferences) -> bool:
    """Whether this message travels in the daily digest rather than alone."""
    if rule.delivery == "immediate":
        return False  # urgent: bypasses digests
    return rule.delivery == "digest" or prefs.frequency == "daily_digest"


def decide(
    rule: Rule,
    prefs: Preferences,
    *,
    planned_at: datetime,
    now: datetime,
    digest_at: time,
    previous_hold: str | None,
    window: timedelta = timedelta(0),
    window_until: datetime | None = None,
) -> Decision:
    """What to do with one message at ``now``; ``previous_hold`` is why it last waited.

    An instant message waits ``window`` after its fact (or until the window the
    family's first message opened closes, ``window_until``), so facts that come
    close together go out as one message; urgent ones never wait.
    """
    if prefs.frequency == "off":
        return Decision("suppress", reason="opted_out")  # urgent too: an opt-out is final
    if rule.delivery == "scheduled" and now < planned_at:
        return Decision("hold", until=planned_at, reason="scheduled")
    in_digest = batched(rule, prefs)
    digest_passed = in_digest and previous_hold in ("digest", "quiet_hours")
    if in_digest and not digest_passed:
        return Decision("hold", until=next_local(now, prefs.zone(), digest_at), reason="digest")
    coalesced = coalesces(rule, prefs, window)
    if coalesced and previous_hold not in ("coalesce", "quiet_hours"):
        until = window_until or planned_at + window
        if until > now:
            return Decision("hold", until=until, reason="coalesce", digest=True)
    grouped = in_digest or coalesced
    quiet_until = quiet_end(now, prefs)
    if quiet_until is not None:
        return Decision("hold", until=quiet_until, reason="quiet_hours", digest=grouped)
    return Decision("send", digest=grouped)


def coalesces(rule: Rule, prefs: Preferences, window: timedelta) -> bool:
    """Whether this message waits for others to travel with (instant, not urgent)."""
    return (
        window > timedelta(0)
        and rule.delivery == "preference"
        and not rule.urgent
        and prefs.frequency == "instant"
    )


def next_local(now: datetime, zone: ZoneInfo, at: time) -> datetime:
    """The first moment after ``now`` when the wall clock in ``zone`` shows ``at``."""
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), at, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
    return candidate


def quiet_end(now: datetime, prefs: Preferences) -> datetime | None:
    """When the quiet window ``now`` falls in ends, or None outside it (or without one)."""
    start, end = prefs.quiet_start, prefs.quiet_end
    if start is None or end is None or start == end:
        return None
    zone = prefs.zone()
    clock = now.astimezone(zone).time().replace(tzinfo=None)
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    return next_local(now, zone, end) if inside else None
