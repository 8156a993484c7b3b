"""School calendars: which days count when a district asks "how long has this step sat idle?"

A curriculum office thinks in school days, not calendar days: a step nobody
touched over a weekend or the winter break has not been neglected. A district's
calendar names its school week, its holidays and breaks, its time zone and how
many school days without evidence make a step inactive; everything else here
is arithmetic on dates, so the worker that ticks the clock and the tests agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

DEFAULT_INACTIVE_AFTER = 10
"""Two school weeks: long enough that a missed week is not an alert, short enough to act."""

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONDAY_TO_FRIDAY = frozenset(range(5))
LOOK_BACK = 366
"""Days searched for a school day: a calendar with none in a year has no clock."""


@dataclass(frozen=True, slots=True)
class SchoolCalendar:
    """One district's school days and its inactivity setting."""

    inactive_after: int = DEFAULT_INACTIVE_AFTER
    holidays: frozenset[date] = frozenset()
    week: frozenset[int] = MONDAY_TO_FRIDAY
    """``date.weekday()`` numbers of the days school is held (Monday is 0)."""
    zone: tzinfo = UTC

    def __post_init__(self) -> None:
        if self.inactive_after < 1:
            raise ValueError("inactive_after_school_days must be at least 1")
        if not self.week:
            raise ValueError("a school week needs at least one day")


def is_school_day(cal: SchoolCalendar, day: date) -> bool:
    return day.weekday() in cal.week and day not in cal.holidays


def school_days_between(cal: SchoolCalendar, after: date, until: date) -> int:
    """School days strictly after ``after`` up to and including ``until`` (0 if none)."""
    days = (until - after).days
    return sum(is_school_day(cal, after + timedelta(days=i)) for i in range(1, days + 1))


def school_day_back(cal: SchoolCalendar, day: date, n: int) -> date:
    """The ``n``-th school day counting back from ``day`` (``day`` itself is the first)."""
    found, current = 0, day
    for _ in range(LOOK_BACK * max(1, n)):
        if is_school_day(cal, current):
            found += 1
            if found == n:
                return current
        current -= timedelta(days=1)
    raise ValueError(f"fewer than {n} school days in the year before {day}")


def day_start(cal: SchoolCalendar, day: date) -> datetime:
    """Local midnight at the start of ``day``, in UTC."""
    return datetime.combine(day, time(), cal.zone).astimezone(UTC)


def day_end(cal: SchoolCalendar, day: date) -> datetime:
    """Local midnight after ``day``, in UTC: when the day's tick is due, and its time."""
    return day_start(cal, day + timedelta(days=1))


def last_ended(cal: SchoolCalendar, now: datetime) -> date | None:
    """The latest school day that is over at ``now`` (None if none in a year)."""
    day = now.astimezone(cal.zone).date() - timedelta(days=1)
    for _ in range(LOOK_BACK):
        if is_school_day(cal, day) and day_end(cal, day) <= now:
            return day
        day -= timedelta(days=1)
    return None


def idle_since(cal: SchoolCalendar, day: date) -> datetime:
    """Start of the idle window that ends with school day ``day``.

    A step with no evidence since before this instant has gone the last
    ``inactive_after`` school days (``day`` included) without any.
    """
    return day_start(cal, school_day_back(cal, day, cal.inactive_after))


@dataclass(frozen=True, slots=True)
class Calendars:
    """Every district's calendar; a district not listed gets ``default``."""

    default: SchoolCalendar = field(default_factory=SchoolCalendar)
    districts: Mapping[str, SchoolCalendar] = field(default_factory=dict)

    def of(self, district: str) -> SchoolCalendar:
        return self.districts.get(district, self.default)


def holidays(entries: Iterable[str]) -> frozenset[date]:
    """Dates and inclusive ranges (``2026-12-21/2027-01-01``, ISO 8601 intervals)."""
    out: set[date] = set()
    for entry in entries:
        first, _, last = entry.partition("/")
        start = date.fromisoformat(first)
        end = date.fromisoformat(last) if last else start
        if end < start:
            raise ValueError(f"holiday range {entry!r} ends before it starts")
        out.update(start + timedelta(days=i) for i in range((end - start).days + 1))
    return frozenset(out)


def calendar(
    document: Mapping[str, Any], zone: tzinfo, *, inactive_after: int = DEFAULT_INACTIVE_AFTER
) -> SchoolCalendar:
    """A district's calendar document (see docs: "Inactivity by the clock").

    ``zone`` is the resolved ``timezone`` of the document (resolving it reads
    the system's zone data, which is the caller's business).
    """
    unknown = set(document) - {"timezone", "inactive_after_school_days", "school_week", "holidays"}
    if unknown:
        raise ValueError(f"unknown calendar settings: {', '.join(sorted(unknown))}")
    week = document.get("school_week")
    if week is not None:
        bad = [d for d in week if d not in WEEKDAYS]
        if bad:
            raise ValueError(f"school_week days must be among {', '.join(WEEKDAYS)}: {bad}")
    return SchoolCalendar(
        inactive_after=int(document.get("inactive_after_school_days", inactive_after)),
        holidays=holidays(document.get("holidays", [])),
        week=MONDAY_TO_FRIDAY if week is None else frozenset(WEEKDAYS.index(d) for d in week),
        zone=zone,
    )
