"""School calendars and inactivity by the clock: pure date arithmetic (and the settings)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from path_svc.domain.school_calendar import (
    Calendars,
    SchoolCalendar,
    calendar,
    day_end,
    holidays,
    idle_since,
    is_school_day,
    last_ended,
    school_day_back,
    school_days_between,
)
from path_svc.domain.support import Support
from path_svc.settings import CalendarSettings

pytestmark = pytest.mark.unit

# 2026-12-21 is a Monday; the district's winter break is that whole week.
BREAK = SchoolCalendar(holidays=holidays(["2026-12-21/2026-12-25"]))
FRI = date(2026, 12, 18)
FRI_NOON = datetime(2026, 12, 18, 12, tzinfo=UTC)


def test_weekends_and_holidays_are_not_school_days() -> None:
    assert is_school_day(BREAK, FRI)
    assert not is_school_day(BREAK, date(2026, 12, 19))  # Saturday
    assert not is_school_day(BREAK, date(2026, 12, 20))  # Sunday
    assert not any(is_school_day(BREAK, date(2026, 12, d)) for d in range(21, 26))
    assert is_school_day(BREAK, date(2026, 12, 28))


def test_counting_skips_a_weekend() -> None:
    # Friday to the next Friday: Monday..Friday, the weekend not counted.
    assert school_days_between(SchoolCalendar(), FRI, FRI + timedelta(days=7)) == 5
    assert school_days_between(SchoolCalendar(), FRI, date(2026, 12, 20)) == 0
    assert school_days_between(SchoolCalendar(), FRI, FRI) == 0


def test_counting_skips_a_holiday_week() -> None:
    # Three calendar weeks after the last evidence, but the break week does not count.
    assert school_days_between(BREAK, FRI, date(2027, 1, 8)) == 10
    assert school_days_between(SchoolCalendar(), FRI, date(2027, 1, 8)) == 15
    assert school_day_back(BREAK, date(2027, 1, 8), 10) == date(2026, 12, 28)
    assert school_day_back(BREAK, date(2027, 1, 8), 11) == FRI


def test_idle_window_starts_n_school_days_back_in_local_time() -> None:
    cal = SchoolCalendar(inactive_after=3, zone=timezone(timedelta(hours=-6)))
    # Wednesday 2026-12-16: Monday, Tuesday, Wednesday are the three days.
    assert idle_since(cal, date(2026, 12, 16)) == datetime(2026, 12, 14, 6, tzinfo=UTC)
    assert day_end(cal, date(2026, 12, 16)) == datetime(2026, 12, 17, 6, tzinfo=UTC)


def test_the_last_ended_school_day_waits_for_local_midnight() -> None:
    cal = SchoolCalendar(zone=timezone(timedelta(hours=-6)))
    monday_evening = datetime(2026, 12, 15, 5, 59, tzinfo=UTC)  # Monday 23:59 local
    assert last_ended(cal, monday_evening) == date(2026, 12, 11)
    assert last_ended(cal, monday_evening + timedelta(minutes=1)) == date(2026, 12, 14)
    assert last_ended(BREAK, datetime(2026, 12, 27, 12, tzinfo=UTC)) == FRI  # over the break
    assert last_ended(SchoolCalendar(week=frozenset({0}), holidays=frozenset()), FRI_NOON) == (
        date(2026, 12, 14)
    )


def test_a_calendar_document_per_district() -> None:
    doc = {
        "timezone": "America/Chicago",
        "inactive_after_school_days": 8,
        "school_week": ["mon", "tue", "wed", "thu"],
        "holidays": ["2026-11-26", "2026-12-21/2027-01-01"],
    }
    cal = calendar(doc, UTC, inactive_after=12)
    assert cal.inactive_after == 8 and cal.week == frozenset({0, 1, 2, 3})
    assert date(2026, 11, 26) in cal.holidays and len(cal.holidays) == 13
    assert calendar({}, UTC, inactive_after=12).inactive_after == 12
    both = Calendars(default=SchoolCalendar(), districts={"d2": cal})
    assert both.of("d2") is cal and both.of("d1") == SchoolCalendar()
    with pytest.raises(ValueError, match="unknown calendar settings"):
        calendar({"holiday": []}, UTC)
    with pytest.raises(ValueError, match="school_week"):
        calendar({"school_week": ["monday"]}, UTC)
    with pytest.raises(ValueError, match="ends before"):
        holidays(["2027-01-01/2026-12-21"])
    with pytest.raises(ValueError, match="at least 1"):
        SchoolCalendar(inactive_after=0)


def test_a_student_who_stops_is_inactive_once_the_window_passes_them() -> None:
    support = Support()
    path_started = datetime(2026, 12, 14, 9, tzinfo=UTC)
    support.path(["3.OA.A.1", "3.OA.A.2"], path_started)
    support.evidence("3.OA.A.1", 0.4, True, datetime(2026, 12, 18, 10, tzinfo=UTC))
    steps = ["3.OA.A.1", "3.OA.A.2"]
    # The window starting on the path's first day still holds it: not idle yet.
    assert support.idle(steps, datetime(2026, 12, 14, tzinfo=UTC)) == []
    # Ten school days after the path started (break week skipped), only the untouched step.
    window = idle_since(BREAK, date(2027, 1, 4))
    assert window == datetime(2026, 12, 15, tzinfo=UTC)
    at = day_end(BREAK, date(2027, 1, 4))
    alerts = support.school_day_ended(steps, window, 10, at)
    assert [(a.competency_id, a.reason, a.episode) for a in alerts] == [("3.OA.A.2", "inactive", 1)]
    assert "10 school days" in alerts[0].detail
    assert support.school_day_ended(steps, window, 10, at) == []  # one open episode
    [closed] = support.evidence("3.OA.A.2", 0.3, True, at + timedelta(hours=9))
    assert closed.resolved and closed.reason == "inactive" and closed.episode == 1


def test_settings_give_every_district_a_calendar() -> None:
    doc = {"d2": {"timezone": "America/Chicago", "holidays": ["2026-11-26"]}}
    cals = CalendarSettings(
        PATH_INACTIVE_SCHOOL_DAYS=7, PATH_SCHOOL_CALENDARS=json.dumps(doc)
    ).calendars()
    assert cals.of("d1") == SchoolCalendar(inactive_after=7)
    assert cals.of("d2").inactive_after == 7 and date(2026, 11, 26) in cals.of("d2").holidays
    assert day_end(cals.of("d2"), FRI) == datetime(2026, 12, 19, 6, tzinfo=UTC)  # CST
    assert CalendarSettings().calendars() == Calendars()
    for bad, message in [
        ({"d2": {"timezone": "Mars/Olympus"}}, "unknown timezone"),
        ({"d2": {"holidays": ["not a date"]}}, "PATH_SCHOOL_CALENDARS\\['d2'\\]"),
        (["d2"], "must map district ids"),
    ]:
        with pytest.raises(ValueError, match=message):
            CalendarSettings(PATH_SCHOOL_CALENDARS=json.dumps(bad)).calendars()
