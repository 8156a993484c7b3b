"""The pure rules of mappings on the log: one event per change (or a few, if large),
the same ids for the same cause, the last word per item, and a held result mapped as
admission would have mapped it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from assessment_svc.domain.mapping import cause_of, changes, resolve
from pathwise_contracts import CompetencyMapping, ResultSubmitted

AT = datetime(2026, 9, 1, tzinfo=UTC)


def _m(ref: str, competency: str = "3.OA.A.1", max_score: float | None = None) -> CompetencyMapping:
    return CompetencyMapping(
        kind="xapi_activity", ref=ref, competency_id=competency, max_score=max_score
    )


def test_a_change_is_one_event_keyed_by_its_district_with_the_last_word_per_item() -> None:
    given = [_m("a", "1"), _m("b", "2"), _m("a", "3")]
    [(event_id, event)] = changes("d1", given, AT, cause_of(given, AT))
    assert event.student_id == "district:d1" and event.changed_at == AT
    assert [(m.ref, m.competency_id) for m in event.mappings] == [("a", "3"), ("b", "2")]
    # The same cause derives the same id; another time (a new request) another one.
    assert changes("d1", given, AT, cause_of(given, AT))[0][0] == event_id
    later = datetime(2026, 9, 2, tzinfo=UTC)
    assert changes("d1", given, later, cause_of(given, later))[0][0] != event_id
    assert changes("d2", given, AT, cause_of(given, AT))[0][0] != event_id


def test_a_large_change_is_split_into_events_a_broker_takes() -> None:
    given = [_m(f"https://lms.example/{n:05d}/" + "x" * 900) for n in range(1000)]
    events = changes("d1", given, AT, "key:k")
    assert len(events) > 1 and len({i for i, _ in events}) == len(events)
    assert [m for _, e in events for m in e.mappings] == given
    assert all(len(e.model_dump_json()) < 400_000 for _, e in events)


def _held(score: float, assumed: bool) -> ResultSubmitted:
    return ResultSubmitted(
        student_id="ext:" + "a" * 64,
        assessment_id=uuid.uuid4(),
        identity="a" * 64,
        activity="oneroster_line_item:li-1",
        score=score,
        max_score=100 if assumed else 20,
        max_score_assumed=assumed,
        occurred_at=AT,
        source="oneroster",
        source_id="r1",
    )


def test_a_held_result_takes_the_mapped_maximum_only_where_none_was_given() -> None:
    mapped = resolve(_held(7, assumed=True), "3.OA.A.3", 10)
    assert mapped is not None
    assert (mapped.competency_id, mapped.max_score, mapped.max_score_assumed) == (
        "3.OA.A.3",
        10,
        False,
    )
    given = resolve(_held(7, assumed=False), "3.OA.A.3", 10)
    assert given is not None and given.max_score == 20
    percent = resolve(_held(7, assumed=True), "3.OA.A.3", None)
    assert percent is not None and (percent.max_score, percent.max_score_assumed) == (100, True)
    assert resolve(_held(50, assumed=True), "3.OA.A.3", 10) is None  # admission would refuse
