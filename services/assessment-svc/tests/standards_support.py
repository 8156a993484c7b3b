"""Helpers assessment-svc's service tests share: enrolling a student on the log,
an xAPI scored statement, waiting for one AssessmentRecorded, replay agreeing."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaProducer

from assessment_svc.adapters.keyring import keyring
from pathwise_contracts import (
    PROFILE_EVENTS,
    AssessmentRecorded,
    Envelope,
    Event,
    StudentEnrolled,
)
from pathwise_devstack.stack import Infrastructure
from pathwise_devstack.verification import replay_service
from pathwise_runtime.pii import Keyring

Auth = Callable[..., dict[str, str]]
Published = Callable[[uuid.UUID], Awaitable[list[Envelope]]]
WaitUntil = Callable[..., Awaitable[None]]
XAPI_HEADERS = {"X-Experience-API-Version": "1.0.3"}


async def enroll(
    bootstrap: str, student: str, external_ids: dict[str, str], keyring: Keyring | None = None
) -> None:
    """Enrol as profile-svc does (identities digested under the district's key, from
    ``keyring``), or without a keyring as logs before keyed digests did (ids in clear)."""
    if keyring is None:
        event = StudentEnrolled(student_id=student, district_id="d1", external_ids=external_ids)
    else:
        identities = keyring.identities("d1").of_student(student, external_ids)
        event = StudentEnrolled(student_id=student, district_id="d1", identities=identities)
    await tell_profile(bootstrap, event)


async def tell_profile(bootstrap: str, event: Event, district: str = "d1") -> None:
    """Publish a profile fact about a student, as profile-svc would."""
    envelope = Envelope.wrap(event, id=uuid.uuid4(), source="urn:test", district_id=district)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            PROFILE_EVENTS.name, envelope.to_bytes(), key=envelope.subject.encode()
        )
    finally:
        await producer.stop()


async def xapi_learner(
    service: Any, admin: dict[str, str], bootstrap: str, student: str
) -> tuple[str, str]:
    """An enrolled student known by an mbox, and a quiz activity mapped to 3.OA.A.1."""
    mbox = f"mailto:{student}@school.example"
    activity = f"https://lms.example/quiz/{student}"
    mapping = {
        "mappings": [{"kind": "xapi_activity", "ref": activity, "competency_id": "3.OA.A.1"}]
    }
    r = await service.client.put("/v1/competency-mappings", json=mapping, headers=admin)
    assert r.status_code == 200, r.text
    await enroll(bootstrap, student, {"xapi_mbox": mbox}, keyring(service.runtime))
    return mbox, activity


def scored(statement_id: str, mbox: str, raw: float, activity: str) -> dict[str, Any]:
    return {
        "id": statement_id,
        "actor": {"mbox": mbox, "name": "A student"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/scored"},
        "object": {"id": activity},
        "result": {"score": {"raw": raw, "min": 0, "max": 4}},
        "timestamp": "2026-09-01T10:00:00Z",
    }


async def recorded_once(
    published: Published, wait_until: WaitUntil, assessment_id: uuid.UUID
) -> AssessmentRecorded:
    async def there() -> bool:
        return bool(await published(assessment_id))

    await wait_until(there, 30)
    [envelope] = await published(assessment_id)
    event = envelope.event()
    assert isinstance(event, AssessmentRecorded)
    return event


async def replays_identically(service: Any, infrastructure: Infrastructure) -> None:
    """Rebuilding every projection from the log alone gives the live rows."""
    report = await replay_service(
        "assessment-svc",
        live_dsn=service.runtime.settings.database_url,
        admin_dsn=infrastructure.admin_dsn,
        bootstrap=infrastructure.bootstrap_servers,
        verify=True,
        timeout=30,
        secret=service.runtime.settings.auth_dev_secret.get_secret_value(),
    )
    assert report.verified, report.as_dict()
