"""The sender's clock: every time-dependent send decision reads it.

Quiet hours, digests, scheduled summaries and retry times depend on "now";
projections never do (replay must not depend on when it runs). Tests pass a
``ManualClock`` and move it, instead of waiting for 18:00.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by
