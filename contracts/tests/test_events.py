from __future__ import annotations

import base64
from datetime import datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError

import pathwise_contracts
from pathwise_contracts import (
    EVENT_TYPES,
    TOPICS,
    AssessmentRecorded,
    Channel,
    EncryptedValue,
    Event,
    GuardianLinked,
    MasteryUpdated,
    NotificationSuppressed,
)

pytestmark = pytest.mark.unit


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_registry_holds_every_event_once() -> None:
    exported = {
        obj
        for obj in vars(pathwise_contracts).values()
        if isinstance(obj, type) and issubclass(obj, Event) and getattr(obj, "type", None)
    }
    assert set(EVENT_TYPES.values()) == exported
    assert len({m.__name__ for m in EVENT_TYPES.values()}) == len(EVENT_TYPES)
    for event_type, model in EVENT_TYPES.items():
        assert model.type == event_type
        assert event_type.endswith(".v1")
        assert issubclass(model, Event)


def test_every_event_publishes_to_a_known_topic() -> None:
    names = {topic.name for topic in TOPICS}
    for model in EVENT_TYPES.values():
        assert model.topic in names, model.__name__


def test_every_field_is_described() -> None:
    for model in EVENT_TYPES.values():
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name}"


def test_events_are_frozen_and_strict(recorded: AssessmentRecorded) -> None:
    with pytest.raises(ValidationError):
        recorded.score = 1  # type: ignore[misc]
    with pytest.raises(ValidationError):
        AssessmentRecorded.model_validate({**recorded.model_dump(), "surprise": 1})


def test_score_cannot_exceed_max(recorded: AssessmentRecorded) -> None:
    with pytest.raises(ValidationError):
        AssessmentRecorded.model_validate({**recorded.model_dump(), "score": 11})


def test_naive_occurred_at_is_rejected(recorded: AssessmentRecorded) -> None:
    with pytest.raises(ValidationError):
        AssessmentRecorded.model_validate(
            {**recorded.model_dump(), "occurred_at": datetime(2025, 1, 1)}
        )


def test_probability_bounds() -> None:
    with pytest.raises(ValidationError):
        MasteryUpdated(
            student_id="s", competency_id="c", p_mastery=1.1, previous=0, evidence_id=uuid4()
        )


def test_guardian_consent_keys_are_channels(encrypted: EncryptedValue) -> None:
    linked = GuardianLinked(
        student_id="s",
        guardian_id="g",
        relationship="mother",
        educational_rights=True,
        email=encrypted,
        consent={"email": True},
    )
    assert linked.consent == {Channel.EMAIL: True}
    assert linked.language == "en"
    with pytest.raises(ValidationError):
        GuardianLinked.model_validate({**linked.model_dump(), "consent": {"fax": True}})


def test_personal_data_must_be_encrypted() -> None:
    with pytest.raises(ValidationError):
        GuardianLinked.model_validate(
            {
                "student_id": "s",
                "guardian_id": "g",
                "relationship": "father",
                "educational_rights": True,
                "email": "parent@example.org",
                "consent": {},
            }
        )


@pytest.mark.parametrize(
    ("nonce", "ct"),
    [(b64url(b"\0" * 11), b64url(b"x" * 20)), (b64url(b"\0" * 12), b64url(b"x" * 15)), ("a+b", "")],
)
def test_encrypted_value_shape(nonce: str, ct: str) -> None:
    with pytest.raises(ValidationError):
        EncryptedValue(kid="k", alg="A256GCM", nonce=nonce, ct=ct)


def test_suppression_reason_is_closed() -> None:
    with pytest.raises(ValidationError):
        NotificationSuppressed.model_validate(
            {
                "notification_id": str(uuid4()),
                "student_id": "s",
                "guardian_id": "g",
                "channel": "sms",
                "cause_event_id": str(uuid4()),
                "reason": "felt_like_it",
            }
        )


def test_duplicate_event_type_is_refused() -> None:
    with pytest.raises(TypeError, match="already used"):

        class Copy(Event):
            type = AssessmentRecorded.type
            topic = AssessmentRecorded.topic
