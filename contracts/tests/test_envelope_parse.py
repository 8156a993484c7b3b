"""Envelope.parse and Envelope.from_bytes agree on every edge of the validators."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pathwise_contracts import AssessmentRecorded, Envelope

pytestmark = pytest.mark.unit


def _body(recorded: AssessmentRecorded, **changes: object) -> dict[str, object]:
    env = Envelope.wrap(
        recorded,
        id=UUID("00000000-0000-4000-8000-0000000000ee"),
        source="urn:pathwise:assessment-svc",
        district_id="d-1",
        time=datetime(2025, 3, 1, 10, tzinfo=UTC),
    )
    return {**json.loads(env.to_bytes()), **changes}


def _both(body: dict[str, object]) -> tuple[Envelope, Envelope]:
    raw = json.dumps(body).encode()
    parsed, _ = Envelope.parse(raw)
    return parsed, Envelope.from_bytes(raw)


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-01T10:00:00Z",
        "2025-03-01T10:00:00.5Z",
        "2025-03-01T10:00:00.123456Z",
        "2025-03-01T10:00:00+00:00",
        "2025-03-01T10:00:00-00:00",
        "2025-03-01T12:00:00+02:00",
        "2025-03-01T04:30:00-05:30",
        "2024-02-29T23:59:59.999999Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999Z",
    ],
)
def test_time_is_the_utc_instant_of_the_json_time(recorded: AssessmentRecorded, text: str) -> None:
    expected = datetime.fromisoformat(text).astimezone(UTC)
    for env in _both(_body(recorded, time=text)):
        assert env.time == expected
        assert env.time.tzinfo is UTC
        assert env.time.timetuple() == expected.timetuple()
        assert env.time.microsecond == expected.microsecond
        assert env.time.fold == 0


@settings(database=None, max_examples=300)
@given(
    when=st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)),
    minutes=st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59) | st.just(0),
    zulu=st.booleans(),
)
def test_time_agrees_with_astimezone(when: datetime, minutes: int, zulu: bool) -> None:
    recorded = AssessmentRecorded(
        assessment_id=UUID(int=7),
        student_id="stu-1",
        competency_id="c",
        score=1,
        max_score=2,
        occurred_at=datetime(2025, 3, 1, tzinfo=UTC),
        source="lms",
        source_id="r",
    )
    aware = when.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    text = aware.isoformat()
    if minutes == 0 and zulu:
        text = text.removesuffix("+00:00") + "Z"
    parsed, two_step = _both(_body(recorded, time=text))
    assert parsed.time.tzinfo is UTC and two_step.time.tzinfo is UTC
    assert parsed.time == two_step.time == aware
    assert parsed.time.replace(tzinfo=None) == aware.astimezone(UTC).replace(tzinfo=None)
    assert parsed.to_bytes() == two_step.to_bytes()


def test_wrapped_utc_time_is_kept(recorded: AssessmentRecorded) -> None:
    at = datetime(2025, 3, 1, 10, 0, 0, 7, tzinfo=UTC)
    env = Envelope.wrap(recorded, id=UUID(int=1), source="urn:x", district_id="d", time=at)
    assert env.time == at and env.time.tzinfo is UTC


@pytest.mark.parametrize("value", [12, "12", 1.5, "1740823200"])
def test_unix_times_are_utc_alike(recorded: AssessmentRecorded, value: object) -> None:
    expected = datetime.fromtimestamp(float(str(value)), UTC)
    for env in _both(_body(recorded, time=value)):
        assert env.time == expected and env.time.tzinfo is UTC


@pytest.mark.parametrize("text", ["2025-03-01T10:00:00", "2025-03-01T10:00", "not a time"])
def test_times_without_an_offset_are_rejected_alike(
    recorded: AssessmentRecorded, text: str
) -> None:
    raw = json.dumps(_body(recorded, time=text)).encode()
    with pytest.raises(ValidationError) as by_parse:
        Envelope.parse(raw)
    with pytest.raises(ValidationError) as by_bytes:
        Envelope.from_bytes(raw)
    assert by_parse.value.errors() == by_bytes.value.errors()
    assert by_parse.value.errors()[0]["loc"] == ("time",)


@pytest.mark.parametrize("name", ["Bad", "under_score", "waytoolongextensionname", "dash-ed", ""])
def test_bad_extension_names_are_rejected_alike(recorded: AssessmentRecorded, name: str) -> None:
    raw = json.dumps(_body(recorded, **{name: "x"})).encode()
    with pytest.raises(ValidationError, match=f"extension attribute {name!r} must be 1-20"):
        Envelope.parse(raw)
    with pytest.raises(ValidationError, match=f"extension attribute {name!r} must be 1-20"):
        Envelope.from_bytes(raw)


@pytest.mark.parametrize("value", [1.5, 1.0, None, [1], {"a": 1}])
def test_bad_extension_values_are_rejected_alike(
    recorded: AssessmentRecorded, value: object
) -> None:
    raw = json.dumps(_body(recorded, partitionkey=value)).encode()
    for parse in (Envelope.parse, Envelope.from_bytes):
        with pytest.raises(ValidationError, match="must be a string, int or bool"):
            parse(raw)


@pytest.mark.parametrize("value", ["stu-1", 3, True, False, 0, ""])
def test_good_extensions_are_kept_alike(recorded: AssessmentRecorded, value: object) -> None:
    parsed, two_step = _both(_body(recorded, a1=value, z9=value))
    assert parsed.model_extra == two_step.model_extra == {"a1": value, "z9": value}
    assert parsed.to_bytes() == two_step.to_bytes()
    assert json.loads(parsed.to_bytes())["a1"] == value


def test_score_above_max_is_rejected_alike(recorded: AssessmentRecorded) -> None:
    body = _body(recorded)
    data = body["data"]
    assert isinstance(data, dict)
    raw = json.dumps({**body, "data": {**data, "score": 10.000001}}).encode()
    with pytest.raises(ValidationError, match="score must not exceed max_score"):
        Envelope.parse(raw)
    with pytest.raises(ValidationError, match="score must not exceed max_score"):
        Envelope.from_bytes(raw).event()


def test_score_equal_to_max_is_accepted(recorded: AssessmentRecorded) -> None:
    body = _body(recorded)
    data = body["data"]
    assert isinstance(data, dict)
    raw = json.dumps({**body, "data": {**data, "score": 10}}).encode()
    _, event = Envelope.parse(raw)
    assert isinstance(event, AssessmentRecorded) and event.score == event.max_score == 10


@settings(database=None, max_examples=100)
@given(
    score=st.floats(min_value=0, max_value=10),
    at=st.datetimes(timezones=st.just(UTC)) | st.none(),
    trace=st.sampled_from([None, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]),
    state=st.none() | st.text(max_size=20),
)
def test_wrap_is_the_envelope_of_the_dumped_event(
    score: float, at: datetime | None, trace: str | None, state: str | None
) -> None:
    event = AssessmentRecorded(
        assessment_id=UUID(int=9),
        student_id="stu-9",
        competency_id="c",
        score=score,
        max_score=10,
        occurred_at=datetime(2025, 3, 1, tzinfo=UTC),
        source="lms",
        source_id="r",
    )
    kwargs: dict[str, object] = {"id": UUID(int=3), "source": "urn:x", "district_id": "d"}
    wrapped = Envelope.wrap(event, time=at, traceparent=trace, tracestate=state, **kwargs)  # type: ignore[arg-type]
    built = Envelope(
        id=UUID(int=3),
        source="urn:x",
        type=event.type,
        subject="stu-9",
        time=wrapped.time if at is None else at,
        dataschema=event.dataschema(),
        districtid="d",
        traceparent=trace,
        tracestate=state,
        data=event.model_dump(mode="json"),
    )
    assert type(wrapped) is Envelope
    assert wrapped == built
    assert wrapped.to_bytes() == built.to_bytes()
    assert wrapped.model_fields_set == built.model_fields_set
