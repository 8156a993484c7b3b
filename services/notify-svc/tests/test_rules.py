"""The rules file and the pure schedule: urgency, digests, quiet hours, opt-outs."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from notify_svc.domain.rules import load, parse
from notify_svc.domain.schedule import Decision, Preferences, decide, next_local, quiet_end

pytestmark = pytest.mark.unit

RULES = load()
CHICAGO = "America/Chicago"
# 2026-11-26 is a Thursday; 15:00 UTC is 09:00 in Chicago.
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def _decide(
    kind: str, prefs: Preferences, now: datetime = NOW, previous: str | None = None
) -> Decision:
    return decide(
        RULES[kind], prefs, planned_at=now, now=now, digest_at=time(18), previous_hold=previous
    )


def test_the_packaged_rules_define_every_trigger() -> None:
    assert RULES["support_needed"].urgent and RULES["support_needed"].delivery == "immediate"
    assert RULES["path_changed"].significant_modalities == ("one_on_one_tutoring",)
    assert RULES["weekly_summary"].delivery == "scheduled"
    assert RULES.digest_at == time(18)


def test_a_rules_file_missing_a_trigger_is_refused() -> None:
    with pytest.raises(ValueError, match="triggers"):
        parse({"triggers": {}})


def test_instant_is_sent_now_and_off_is_suppressed_even_when_urgent() -> None:
    assert _decide("competency_mastered", Preferences(CHICAGO)).action == "send"
    off = Preferences(CHICAGO, frequency="off")
    assert _decide("support_needed", off).reason == "opted_out"


def test_a_digest_waits_for_local_six_pm_but_urgent_alerts_do_not() -> None:
    digest = Preferences(CHICAGO, frequency="daily_digest")
    held = _decide("competency_mastered", digest)
    assert (held.action, held.reason) == ("hold", "digest")
    assert held.until == datetime(2026, 11, 26, 18, 0, tzinfo=ZoneInfo(CHICAGO))
    assert _decide("support_needed", digest).action == "send"
    released = _decide("competency_mastered", digest, now=held.until, previous="digest")
    assert (released.action, released.digest) == ("send", True)


def test_path_changes_always_wait_for_the_digest() -> None:
    assert _decide("path_changed", Preferences(CHICAGO)).reason == "digest"


def test_quiet_hours_wrapping_midnight_hold_until_their_end() -> None:
    prefs = Preferences(CHICAGO, quiet_start=time(21), quiet_end=time(7))
    late = datetime(2026, 11, 27, 4, 30, tzinfo=UTC)  # 22:30 in Chicago
    held = _decide("support_needed", prefs, now=late)
    assert (held.action, held.reason) == ("hold", "quiet_hours")
    assert held.until == datetime(2026, 11, 27, 7, 0, tzinfo=ZoneInfo(CHICAGO))
    assert quiet_end(NOW, prefs) is None  # 09:00 local: outside


def test_a_scheduled_summary_waits_for_its_time() -> None:
    later = NOW + timedelta(days=3)
    decision = decide(
        RULES["weekly_summary"],
        Preferences("UTC"),
        planned_at=later,
        now=NOW,
        digest_at=time(18),
        previous_hold=None,
    )
    assert (decision.action, decision.until, decision.reason) == ("hold", later, "scheduled")


def test_next_local_time_crosses_a_daylight_saving_change() -> None:
    zone = ZoneInfo(CHICAGO)
    before = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # 01:00 CDT, the day clocks go back
    assert next_local(before, zone, time(18)).utcoffset() == timedelta(hours=-6)


WINDOW = timedelta(minutes=10)


def _coalesce(
    kind: str,
    prefs: Preferences,
    *,
    planned_at: datetime = NOW,
    now: datetime = NOW,
    previous: str | None = None,
    until: datetime | None = None,
) -> Decision:
    return decide(
        RULES[kind],
        prefs,
        planned_at=planned_at,
        now=now,
        digest_at=time(18),
        previous_hold=previous,
        window=WINDOW,
        window_until=until,
    )


def test_an_instant_message_waits_for_its_window_then_travels_grouped() -> None:
    prefs = Preferences(CHICAGO)
    held = _coalesce("competency_mastered", prefs)
    assert (held.action, held.reason, held.until, held.digest) == (
        "hold",
        "coalesce",
        NOW + WINDOW,
        True,
    )
    # A later fact joins the window the first one opened instead of opening its own.
    later = _coalesce(
        "competency_mastered", prefs, planned_at=NOW + timedelta(minutes=4), until=NOW + WINDOW
    )
    assert later.until == NOW + WINDOW
    released = _coalesce("competency_mastered", prefs, now=NOW + WINDOW, previous="coalesce")
    assert (released.action, released.digest) == ("send", True)


def test_urgent_messages_and_a_window_of_zero_never_wait() -> None:
    prefs = Preferences(CHICAGO)
    assert _coalesce("support_needed", prefs).action == "send"
    assert _decide("competency_mastered", prefs).action == "send"  # window 0


def test_a_window_already_past_sends_at_once_and_quiet_hours_still_hold() -> None:
    prefs = Preferences(CHICAGO)
    late = _coalesce("competency_mastered", prefs, planned_at=NOW - timedelta(hours=1))
    assert (late.action, late.digest) == ("send", True)
    quiet = Preferences(CHICAGO, quiet_start=time(8), quiet_end=time(10))  # 09:00 local
    held = _coalesce("competency_mastered", quiet, now=NOW + WINDOW, previous="coalesce")
    assert (held.action, held.reason, held.digest) == ("hold", "quiet_hours", True)


def test_a_daily_digest_is_not_coalesced_again() -> None:
    digest = Preferences(CHICAGO, frequency="daily_digest")
    assert _coalesce("competency_mastered", digest).reason == "digest"
