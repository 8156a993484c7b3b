from __future__ import annotations

import uuid

import pytest

from pathwise_contracts import (
    ASSESSMENT_EVENTS,
    ASSESSMENT_SUBMISSIONS,
    NAMESPACE,
    PROFILE_EVENTS,
    TOPICS,
    Topic,
    all_topics,
    derive_event_id,
)

pytestmark = pytest.mark.unit

CAUSE = uuid.UUID("00000000-0000-4000-8000-000000000001")


def test_derived_ids_are_deterministic() -> None:
    first = derive_event_id(CAUSE, "mastery", "math.fractions")
    assert first == derive_event_id(str(CAUSE), "mastery", "math.fractions")
    assert first == uuid.uuid5(NAMESPACE, f"{CAUSE}|mastery|math.fractions")
    assert first.version == 5


def test_derived_ids_differ_by_part() -> None:
    ids = {derive_event_id(CAUSE, part) for part in ("a", "b", "c")}
    ids.add(derive_event_id(CAUSE))
    assert len(ids) == 4


def test_event_topics_keep_history_forever_and_raw_submissions_expire() -> None:
    assert len({topic.name for topic in TOPICS}) == len(TOPICS)
    for topic in TOPICS:
        assert topic.partitions == 12
        raw = topic is ASSESSMENT_SUBMISSIONS  # vendors' documents, students named in clear
        assert topic.retention_ms == (7 * 24 * 3600 * 1000 if raw else -1)
        assert topic.cleanup_policy == "delete"
        assert topic.key == "student_id"
    assert PROFILE_EVENTS.cleanup_policy == "delete"


def test_dlq_topics() -> None:
    dlq = ASSESSMENT_EVENTS.dlq_topic()
    assert ASSESSMENT_EVENTS.dlq == dlq.name == "assessment.events.v1.dlq"
    assert dlq.partitions == ASSESSMENT_EVENTS.partitions
    assert dlq.retention_ms == 14 * 24 * 3600 * 1000
    names = [topic.name for topic in all_topics()]
    assert names[: len(TOPICS)] == [topic.name for topic in TOPICS]
    assert names[len(TOPICS) :] == [topic.dlq for topic in TOPICS]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"partitions": 0, "retention_ms": -1},
        {"partitions": 1, "retention_ms": 0},
        {"partitions": 1, "retention_ms": -1, "cleanup_policy": "never"},
    ],
)
def test_topic_settings_are_validated(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Topic("t", **kwargs)  # type: ignore[arg-type]
