import pytest
from aiokafka import ConsumerRecord

from pathwise_runtime.dlq import dlq_message

pytestmark = pytest.mark.unit


def record(offset: int = 7) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="assessment.events.v1",
        partition=3,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"s-1",
        value=b"{not json",
        checksum=None,
        serialized_key_size=3,
        serialized_value_size=9,
        headers=(),
    )


def test_dead_letter_keeps_bytes_and_says_where_from_and_why() -> None:
    msg = dlq_message(record(), "path-svc.mastery", ValueError("bad json"))
    headers = dict(msg.headers)
    assert msg.topic == "assessment.events.v1.dlq"
    assert msg.key == "s-1" and msg.payload == b"{not json"
    assert headers["dlq.original.topic"] == "assessment.events.v1"
    assert headers["dlq.original.partition"] == "3"
    assert headers["dlq.original.offset"] == "7"
    assert headers["dlq.reason"] == "ValueError: bad json"


def test_the_same_poison_record_is_parked_once() -> None:
    first = dlq_message(record(), "p", ValueError("x"))
    again = dlq_message(record(), "p", ValueError("x"))
    other = dlq_message(record(8), "p", ValueError("x"))
    assert first.event_id == again.event_id != other.event_id
