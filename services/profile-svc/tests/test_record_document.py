"""The export document: every service's section in its place, and how reads are named."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from pathwise_contracts import NotifyRecordAccessed, ProfileRecordAccessed
from profile_svc.projections.access_log import SERVICE_OF_TOPIC, action_of
from profile_svc.queries import full_record, records
from profile_svc.queries.profiles import StudentView

pytestmark = pytest.mark.unit

AT = datetime(2026, 10, 5, 9, tzinfo=UTC)
EXPORT = UUID(int=9)


def _record() -> records.StudentRecord:
    profile = StudentView(
        student_id="ada",
        district_id="d1",
        school_id="sch-1",
        grade="3",
        section_ids=["s-1"],
        display_name="Ada",
        enrolled_at=AT,
        guardians=[],
    )
    return records.StudentRecord(
        exported_at=AT, exported_by="g-1", profile=profile, consent_history=[], access_log=[]
    )


SECTIONS = {
    "assessments": {"results": [{"competency_id": "c1", "score": 3}], "statements": [{"id": "x"}]},
    "learning": {
        "path": {"steps": [{"competency_id": "c2", "reason": "next"}]},
        "history": {"replans": [{"version": 1, "reason": "evidence"}]},
        "mastery": {"competencies": [{"competency_id": "c1", "p_mastery": 0.3}]},
    },
    "messages": {
        "messages": [
            {
                "notification_id": str(UUID(int=1)),
                "guardian_id": "g-1",
                "channel": "email",
                "at": AT.isoformat(),
                "summary": "competency_mastered",
                "template": "competency_mastered",
                "status": "sent",
                "reason": None,
                "language": "es",
                "delivery": None,
            }
        ]
    },
}


def test_every_section_lands_in_its_place_under_a_versioned_schema() -> None:
    doc = full_record.assemble(
        _record(),
        SECTIONS,
        export_id=EXPORT,
        exported_by=full_record.ExportedBy(kind="guardian", id="g-1", district="d1"),
        language="es",
    ).model_dump(mode="json", by_alias=True)
    assert doc["schema"] == "pathwise.record-export.v1" and doc["export_id"] == str(EXPORT)
    assert doc["assessments"]["results"] == [{"competency_id": "c1", "score": 3}]
    assert doc["learning"]["history"] == [{"version": 1, "reason": "evidence"}]
    assert doc["learning"]["mastery"][0]["competency_id"] == "c1"
    assert doc["learning"]["path"]["steps"][0]["reason"] == "next"
    assert [m["summary"] for m in doc["messages"]] == ["competency_mastered"]


def test_no_path_yet_is_an_empty_part_not_a_missing_one() -> None:
    empty = {**SECTIONS, "learning": {"path": None, "history": None, "mastery": None}}
    doc = full_record.assemble(
        _record(),
        empty,
        export_id=EXPORT,
        exported_by=full_record.ExportedBy(kind="admin", id="a-1", district="d1"),
        language="en",
    )
    assert (doc.learning.path, doc.learning.history, doc.learning.mastery) == (None, [], [])


def _read(
    kind: type[ProfileRecordAccessed] | type[NotifyRecordAccessed], **extra: object
) -> object:
    fields: dict[str, object] = {
        "student_id": "ada",
        "principal_kind": "teacher",
        "principal_id": "t-1",
        "principal_district": "d1",
        "section": "profile",
        "endpoint": "GET /v1/students/{student_id}",
        "purpose": "record-read",
        "accessed_at": AT,
    }
    return kind(**(fields | extra))


def test_reads_are_named_the_same_live_and_on_replay() -> None:
    assert action_of(_read(ProfileRecordAccessed)) == "read"  # type: ignore[arg-type]
    assert action_of(_read(ProfileRecordAccessed, section="roster")) == "list"  # type: ignore[arg-type]
    part = _read(
        NotifyRecordAccessed, section="messages", purpose="record-export", export_id=EXPORT
    )
    assert action_of(part) == "export"  # type: ignore[arg-type]


def test_the_answering_service_is_the_one_whose_topic_carried_the_read() -> None:
    assert SERVICE_OF_TOPIC == {
        "profile.access.v1": "profile-svc",
        "assessment.access.v1": "assessment-svc",
        "path.access.v1": "path-svc",
        "notify.access.v1": "notify-svc",
    }
