"""Builders for path-svc's integration tests: evidence envelopes and raw records."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer, ConsumerRecord

from pathwise_contracts import (
    AssessmentRecorded,
    AssessmentVoided,
    Envelope,
    GuardianLinked,
    StudentEnrolled,
    TeachersAssigned,
)
from pathwise_contracts.events.profile import AssignedTeacher
from pathwise_devstack.inprocess import record_of

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
TEST_SOURCE = "urn:pathwise:test"


def recorded(
    student: str, n: int, competency: str = "3.OA.A.1", score: float = 1.0, district: str = "d1"
) -> Envelope:
    """The ``n``-th piece of evidence for ``student``, one minute after the previous."""
    event = AssessmentRecorded(
        assessment_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{student}/{n}"),
        student_id=student,
        competency_id=competency,
        score=score,
        max_score=1.0,
        occurred_at=START + timedelta(minutes=n),
        source="test",
        source_id=f"{student}/{n}",
    )
    return Envelope.wrap(
        event,
        id=event.assessment_id,
        source=TEST_SOURCE,
        district_id=district,
        time=event.occurred_at,
    )


def voided(of: Envelope) -> Envelope:
    event = AssessmentVoided(
        student_id=of.subject, assessment_id=of.data["assessment_id"], reason="entered_in_error"
    )
    return Envelope.wrap(
        event,
        id=uuid.uuid5(of.id, "voided"),
        source=TEST_SOURCE,
        district_id=of.districtid,
        time=of.time,
    )


def guardian_linked(student: str, guardian: str, *, rights: bool = True) -> Envelope:
    event = GuardianLinked(
        student_id=student,
        guardian_id=guardian,
        relationship="mother",
        educational_rights=rights,
        consent={},
    )
    return Envelope.wrap(
        event,
        id=uuid.uuid5(uuid.NAMESPACE_URL, f"{student}/{guardian}"),
        source=TEST_SOURCE,
        district_id="d1",
        time=START,
    )


def rostered(
    student: str,
    *,
    teachers: Sequence[str] = ("dev-teacher", "t-1"),
    sections: Sequence[str] = (),
    district: str = "d1",
) -> list[Envelope]:
    """The student's enrolment and teachers, as profile-svc tells them (what access needs)."""
    events = [
        StudentEnrolled(student_id=student, district_id=district, section_ids=list(sections)),
        TeachersAssigned(
            student_id=student, teachers=[AssignedTeacher(teacher_id=t) for t in teachers]
        ),
    ]
    return [
        Envelope.wrap(
            event,
            id=uuid.uuid5(uuid.NAMESPACE_URL, f"{student}/{event.type}"),
            source=TEST_SOURCE,
            district_id=district,
            time=START,
        )
        for event in events
    ]


def record(envelope: Envelope, offset: int, partition: int = 3) -> ConsumerRecord[bytes, bytes]:
    """A hand-built record of ``envelope`` as if read from its event's topic."""
    return record_of(envelope, offset, partition)


async def produce(bootstrap: str, envelopes: Sequence[Envelope]) -> None:
    """Publish envelopes on their event's topic, keyed by student."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        sends = [
            await producer.send(e.event().topic, e.to_bytes(), key=e.subject.encode())
            for e in envelopes
        ]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()
