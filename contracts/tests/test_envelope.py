from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pathwise_contracts import AssessmentRecorded, Envelope, UnknownEventType

pytestmark = pytest.mark.unit

EVENT_ID = UUID("00000000-0000-4000-8000-0000000000ee")
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def wrap(event: AssessmentRecorded, **kwargs: object) -> Envelope:
    return Envelope.wrap(
        event,
        id=EVENT_ID,
        source="urn:pathwise:assessment-svc",
        district_id="d-1",
        time=datetime(2025, 3, 1, 10, tzinfo=UTC),
        **kwargs,  # type: ignore[arg-type]
    )


def test_wrap_sets_subject_type_and_schema(recorded: AssessmentRecorded) -> None:
    env = wrap(recorded)
    assert env.subject == "stu-1"
    assert env.type == "org.pathwise.assessment.AssessmentRecorded.v1"
    assert env.dataschema == AssessmentRecorded.dataschema()
    assert env.data["assessment_id"] == str(recorded.assessment_id)


def test_round_trip_through_bytes(recorded: AssessmentRecorded) -> None:
    env = wrap(recorded, traceparent=TRACEPARENT, tracestate="pw=1")
    back = Envelope.from_bytes(env.to_bytes())
    assert back == env
    assert back.event() == recorded


def test_bytes_carry_cloudevents_required_attributes(recorded: AssessmentRecorded) -> None:
    body = json.loads(wrap(recorded).to_bytes())
    assert body["specversion"] == "1.0"
    for attribute in ("id", "source", "type", "subject", "time", "districtid", "data"):
        assert body[attribute]
    assert body["datacontenttype"] == "application/json"
    assert "traceparent" not in body and "tracestate" not in body
    assert body["time"] == "2025-03-01T10:00:00Z"


def test_compact_json(recorded: AssessmentRecorded) -> None:
    assert b", " not in wrap(recorded).to_bytes()


def test_time_is_normalised_to_utc(recorded: AssessmentRecorded) -> None:
    local = datetime(2025, 3, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    env = Envelope.wrap(recorded, id=EVENT_ID, source="urn:x", district_id="d", time=local)
    assert env.time.utcoffset() == timedelta(0)
    assert env.time == local


def test_naive_time_is_rejected(recorded: AssessmentRecorded) -> None:
    with pytest.raises(ValidationError):
        Envelope.wrap(
            recorded, id=EVENT_ID, source="urn:x", district_id="d", time=datetime(2025, 1, 1)
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("source", ""),
        ("type", ""),
        ("subject", ""),
        ("specversion", "0.3"),
        ("id", "not-a-uuid"),
        ("traceparent", "garbage"),
    ],
)
def test_invalid_attributes_are_rejected(
    recorded: AssessmentRecorded, field: str, value: str
) -> None:
    body = json.loads(wrap(recorded).to_bytes())
    body[field] = value
    with pytest.raises(ValidationError):
        Envelope.from_bytes(json.dumps(body).encode())


@pytest.mark.parametrize("name", ["Bad", "under_score", "waytoolongextensionname"])
def test_extension_names_must_be_lowercase_alnum(recorded: AssessmentRecorded, name: str) -> None:
    body = json.loads(wrap(recorded).to_bytes())
    body[name] = "x"
    with pytest.raises(ValidationError, match="extension attribute"):
        Envelope.from_bytes(json.dumps(body).encode())


def test_valid_unknown_extension_is_kept(recorded: AssessmentRecorded) -> None:
    body = json.loads(wrap(recorded).to_bytes())
    body["partitionkey"] = "stu-1"
    raw = json.dumps(body).encode()
    assert json.loads(Envelope.from_bytes(raw).to_bytes())["partitionkey"] == "stu-1"


def test_unknown_type(recorded: AssessmentRecorded) -> None:
    env = wrap(recorded).model_copy(update={"type": "org.pathwise.x.Nope.v1"})
    with pytest.raises(UnknownEventType):
        env.event()
    assert issubclass(UnknownEventType, ValueError)


def test_invalid_data(recorded: AssessmentRecorded) -> None:
    env = wrap(recorded)
    bad = env.model_copy(update={"data": {**env.data, "score": 11}})
    with pytest.raises(ValidationError, match="max_score"):
        bad.event()


def test_subject_must_match_student(recorded: AssessmentRecorded) -> None:
    env = wrap(recorded).model_copy(update={"subject": "someone-else"})
    with pytest.raises(ValueError, match="subject"):
        env.event()


@st.composite
def assessments(draw: st.DrawFn) -> AssessmentRecorded:
    max_score = draw(st.floats(min_value=0.01, max_value=1e6, allow_nan=False))
    return AssessmentRecorded(
        assessment_id=draw(st.uuids()),
        student_id=draw(st.text(min_size=1)),
        competency_id=draw(st.text(min_size=1)),
        score=draw(st.floats(min_value=0, max_value=max_score)),
        max_score=max_score,
        occurred_at=draw(st.datetimes(min_value=datetime(1970, 1, 2), timezones=st.just(UTC))),
        source=draw(st.text(min_size=1)),
        source_id=draw(st.text(min_size=1)),
    )


@settings(database=None, max_examples=200)
@given(event=assessments(), trace=st.booleans())
def test_round_trip_property(event: AssessmentRecorded, trace: bool) -> None:
    env = wrap(event, traceparent=TRACEPARENT if trace else None)
    back = Envelope.from_bytes(env.to_bytes())
    assert back == env
    assert back.event() == event


def _raw(env: Envelope) -> bytes:
    return json.dumps(env.model_dump(mode="json")).encode()


def test_parse_gives_the_same_envelope_and_event_in_one_pass(
    recorded: AssessmentRecorded,
) -> None:
    env = wrap(recorded, traceparent=TRACEPARENT)
    parsed, event = Envelope.parse(env.to_bytes())
    assert event == recorded
    assert isinstance(parsed, Envelope)
    assert (parsed.id, parsed.subject, parsed.type, parsed.traceparent) == (
        env.id,
        env.subject,
        env.type,
        env.traceparent,
    )
    assert parsed.to_bytes() == env.to_bytes()
    assert parsed.event() is event


def test_parse_rejects_what_the_two_step_parse_rejects(recorded: AssessmentRecorded) -> None:
    env = wrap(recorded)
    unknown = _raw(env.model_copy(update={"type": "org.pathwise.x.Nope.v1"}))
    with pytest.raises(UnknownEventType):
        Envelope.parse(unknown)
    bad = _raw(env.model_copy(update={"data": {**env.data, "score": 11}}))
    with pytest.raises(ValidationError, match="max_score"):
        Envelope.parse(bad)
    other = _raw(env.model_copy(update={"subject": "someone-else"}))
    with pytest.raises(ValueError, match="subject"):
        Envelope.parse(other)
    with pytest.raises(ValidationError):
        Envelope.parse(b"{not json")


@settings(database=None, max_examples=100)
@given(event=assessments(), trace=st.booleans())
def test_parse_agrees_with_the_two_step_parse(event: AssessmentRecorded, trace: bool) -> None:
    raw = wrap(event, traceparent=TRACEPARENT if trace else None).to_bytes()
    parsed, typed = Envelope.parse(raw)
    two_step = Envelope.from_bytes(raw)
    assert typed == two_step.event()
    assert parsed.to_bytes() == two_step.to_bytes()


@settings(database=None, max_examples=200)
@given(event=assessments(), trace=st.booleans())
def test_bytes_are_the_compact_json_of_the_envelope(event: AssessmentRecorded, trace: bool) -> None:
    env = wrap(event, traceparent=TRACEPARENT if trace else None)
    body = {k: v for k, v in env.model_dump(mode="json").items() if v is not None}
    raw = env.to_bytes()
    assert json.loads(raw) == body
