"""Access events and the export's token: who may read a section, and what a read logs."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from pathwise_contracts import Envelope, PathRecordAccessed, ProfileRecordAccessed
from pathwise_runtime.auth import Principal
from pathwise_runtime.disclosure import access_event
from pathwise_runtime.policy import EXPORT_PURPOSE, decide_export_section

pytestmark = pytest.mark.unit

AT = datetime(2026, 10, 5, 9, tzinfo=UTC)
TEACHER = Principal("t-1", "teacher", "d1")
EXPORT = UUID(int=7)


def _read(who: Principal = TEACHER, export_id: UUID | None = None) -> Envelope:
    return access_event(
        PathRecordAccessed,
        who,
        "ada",
        section="path",
        endpoint="GET /v1/students/{student_id}/path",
        at=AT,
        source="urn:pathwise:path-svc",
        export_id=export_id,
    )


def test_a_read_names_ids_only_and_goes_on_the_services_own_access_topic() -> None:
    envelope = _read()
    event = envelope.event()
    assert isinstance(event, PathRecordAccessed) and event.topic == "path.access.v1"
    assert (event.principal_kind, event.principal_id, event.principal_district) == (
        "teacher",
        "t-1",
        "d1",
    )
    assert (envelope.subject, envelope.districtid) == ("ada", "d1")
    assert (event.purpose, event.export_id) == ("record-read", None)
    assert "{student_id}" in event.endpoint  # the template, never the filled-in path


def test_a_read_has_one_id_and_a_read_for_an_export_another() -> None:
    assert _read().id == _read().id
    part = _read(export_id=EXPORT)
    assert part.id != _read().id
    assert (part.event().purpose, part.event().export_id) == ("record-export", EXPORT)  # type: ignore[attr-defined]
    other = access_event(
        ProfileRecordAccessed,
        TEACHER,
        "ada",
        section="path",
        endpoint="GET /v1/students/{student_id}/path",
        at=AT,
        source="urn:pathwise:profile-svc",
    )
    assert other.id != _read().id and other.type != _read().type


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (Principal("profile-svc", "service", "d1", purpose=EXPORT_PURPOSE), None),
        (Principal("notify-svc", "service", "d1"), 403),
        (Principal("lms", "service", "d1", purpose="sending"), 403),
        (Principal("a-1", "admin", "d1", purpose=EXPORT_PURPOSE), 403),
        (Principal("g-1", "guardian", "d1"), 403),
        (Principal("t-1", "teacher", "d1"), 403),
    ],
)
def test_only_a_service_token_issued_for_the_export_reads_a_section(
    who: Principal, status: int | None
) -> None:
    denied = decide_export_section(who)
    assert (denied.status if denied else None) == status
