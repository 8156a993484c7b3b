"""OneRoster, Ed-Fi and Caliper documents: valid ones are evidence, invalid ones name the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment_svc.domain import standards
from assessment_svc.domain.evidence import Invalid
from pathwise_contracts.identity import Identities

IDS = Identities(b"k" * 32)

EDFI_NS = "uri://ed-fi.org/"

pytestmark = pytest.mark.unit

ONEROSTER: dict[str, Any] = {
    "result": {
        "sourcedId": "r-1",
        "status": "active",
        "dateLastModified": "2026-09-01T10:00:00Z",
        "lineItem": {"sourcedId": "li-7", "type": "lineItem"},
        "student": {"sourcedId": "stu-1", "type": "user"},
        "scoreStatus": "fully graded",
        "score": 8,
        "scoreDate": "2026-09-01",
    }
}

EDFI: dict[str, Any] = {
    "studentAssessmentIdentifier": "sa-1",
    "assessmentReference": {
        "assessmentIdentifier": "MATH-3",
        "namespace": "uri://district.example",
    },
    "studentReference": {"studentUniqueId": "604822"},
    "administrationDate": "2026-09-01T09:00:00Z",
    "scoreResults": [
        {
            "assessmentReportingMethodDescriptor": EDFI_NS
            + "AssessmentReportingMethodDescriptor#Raw score",
            "resultDatatypeTypeDescriptor": EDFI_NS + "ResultDatatypeTypeDescriptor#Integer",
            "result": "31",
        }
    ],
    "performanceLevels": [],
    "studentObjectiveAssessments": [],
}

CALIPER: dict[str, Any] = {
    "sensor": "https://app.example/sensors/1",
    "sendTime": "2026-09-01T10:05:00.000Z",
    "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
    "data": [
        {
            "@context": "http://purl.imsglobal.org/ctx/caliper/v1p2",
            "id": "urn:uuid:a50ca17f-5971-47bb-8fca-4e6e6879001d",
            "type": "GradeEvent",
            "actor": {"id": "https://app.example/autograder", "type": "SoftwareApplication"},
            "action": "Graded",
            "object": {
                "id": "https://app.example/attempts/9",
                "type": "Attempt",
                "assignee": {"id": "https://app.example/users/554433", "type": "Person"},
                "assignable": {"id": "https://app.example/assess/1", "type": "Assessment"},
            },
            "generated": {
                "id": "https://app.example/scores/9",
                "type": "Score",
                "scoreGiven": 12,
                "maxScore": 15,
            },
            "eventTime": "2026-09-01T10:04:00.000Z",
        },
        {
            "id": "urn:uuid:c51570e4-f8ed-4c18-bb3a-dfe51b2cc594",
            "type": "AssessmentEvent",
            "actor": {"id": "https://app.example/users/554433", "type": "Person"},
            "action": "Submitted",
            "object": {"id": "https://app.example/assess/1", "type": "Assessment"},
            "eventTime": "2026-09-01T10:03:00.000Z",
        },
    ],
}


def test_oneroster_result_is_evidence_on_its_line_item() -> None:
    [e] = standards.oneroster("r-1", ONEROSTER, IDS)
    assert (e.source, e.source_id, e.activity, e.score) == (
        "oneroster",
        "r-1",
        "oneroster_line_item:li-7",
        8,
    )
    assert e.identity == IDS.digest("oneroster", "stu-1")
    assert e.competency_id is None


def test_oneroster_case_objectives_map_straight_to_competencies() -> None:
    body = copy.deepcopy(ONEROSTER)
    body["result"]["learningObjectiveSet"] = [
        {
            "source": "case",
            "learningObjectiveResults": [
                {"learningObjectiveId": "3.OA.A.1", "score": 4},
                {"learningObjectiveId": "3.OA.A.2", "score": 2},
            ],
        }
    ]
    found = standards.oneroster("r-1", body, IDS)
    assert [(e.competency_id, e.score, e.source_id) for e in found] == [
        ("3.OA.A.1", 4, "r-1#3.OA.A.1"),
        ("3.OA.A.2", 2, "r-1#3.OA.A.2"),
    ]


def test_ungraded_oneroster_results_carry_no_evidence() -> None:
    body = copy.deepcopy(ONEROSTER)
    body["result"]["scoreStatus"] = "not submitted"
    assert standards.oneroster("r-1", body, IDS) == []


def test_csv_rows_are_parsed_or_refused_per_line() -> None:
    text = (
        "sourcedId,status,dateLastModified,metadata,lineItemSourcedId,studentSourcedId,"
        "scoreStatus,score,scoreDate,comment\n"
        "r-1,active,,,li-7,stu-1,fully graded,8,2026-09-01,\n"
        "r-2,active,,,li-7,stu-2,graded,8,2026-09-01,\n"
    )
    [(line1, ok), (line2, bad)] = standards.oneroster_csv(text, IDS)
    assert line1 == 2 and isinstance(ok, list) and ok[0].source_id == "r-1"
    assert line2 == 3 and isinstance(bad, Invalid) and bad.field == "result.scoreStatus"


def test_edfi_student_assessment_is_evidence_on_the_assessment() -> None:
    [e] = standards.edfi(EDFI, IDS)
    assert e.activity == "edfi_assessment:uri://district.example#MATH-3"
    assert (e.score, e.identity) == (31.0, IDS.digest("edfi", "604822"))


def test_edfi_objectives_are_evidence_of_their_own() -> None:
    body = copy.deepcopy(EDFI)
    body["studentObjectiveAssessments"] = [
        {
            "objectiveAssessmentReference": {
                "assessmentIdentifier": "MATH-3",
                "identificationCode": "OA",
                "namespace": "uri://district.example",
            },
            "scoreResults": [],
            "performanceLevels": [
                {
                    "assessmentReportingMethodDescriptor": EDFI_NS
                    + "AssessmentReportingMethodDescriptor#Proficiency level",
                    "performanceLevelDescriptor": EDFI_NS + "PerformanceLevelDescriptor#Proficient",
                    "performanceLevelMet": True,
                }
            ],
        }
    ]
    [e] = standards.edfi(body, IDS)
    assert (e.activity, e.score) == ("edfi_objective:uri://district.example#MATH-3#OA", 1.0)


def test_caliper_grade_events_become_evidence_assessment_events_do_not() -> None:
    found, count = standards.caliper(CALIPER, IDS)
    assert count == 2
    [e] = found
    assert (e.score, e.max_score, e.source_id) == (12, 15, "a50ca17f-5971-47bb-8fca-4e6e6879001d")
    assert e.identity == IDS.digest("caliper", "https://app.example/users/554433")


@pytest.mark.parametrize(
    ("document", "path", "value", "field"),
    [
        ("oneroster", ("result", "scoreStatus"), "done", "result.scoreStatus"),
        ("oneroster", ("result", "score"), -1, "result.score"),
        ("oneroster", ("result", "student"), None, "result.student"),
        ("oneroster", ("result", "scoreDate"), "soon", "result.scoreDate"),
        ("edfi", ("studentReference",), {}, "studentReference.studentUniqueId"),
        ("edfi", ("administrationDate",), "soon", "administrationDate"),
        ("caliper", ("dataVersion",), "http://purl.imsglobal.org/ctx/caliper/v1p1", "dataVersion"),
        ("caliper", ("sendTime",), "2026-09-01T10:05:00", "sendTime"),
    ],
)
def test_invalid_documents_name_the_field(
    document: str, path: tuple[str, ...], value: Any, field: str
) -> None:
    body = copy.deepcopy({"oneroster": ONEROSTER, "edfi": EDFI, "caliper": CALIPER}[document])
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(Invalid) as caught:
        if document == "oneroster":
            standards.oneroster("r-1", body, IDS)
        elif document == "edfi":
            standards.edfi(body, IDS)
        else:
            standards.caliper(body, IDS)
    assert caught.value.field.startswith(field)


def test_caliper_score_above_max_is_refused() -> None:
    body = copy.deepcopy(CALIPER)
    body["data"][0]["generated"]["scoreGiven"] = 16
    with pytest.raises(Invalid) as caught:
        standards.caliper(body, IDS)
    assert caught.value.field == "data.0.generated.scoreGiven"


@settings(max_examples=150, deadline=None)
@given(
    key=st.sampled_from(sorted(ONEROSTER["result"])),
    value=st.one_of(st.none(), st.integers(), st.text(max_size=4), st.just({})),
)
def test_malformed_oneroster_results_are_refused_with_a_field_or_valid(
    key: str, value: Any
) -> None:
    body = copy.deepcopy(ONEROSTER)
    body["result"][key] = value
    try:
        found = standards.oneroster("r-1", body, IDS)
    except Invalid as exc:
        assert exc.field.startswith("result")
        return
    assert all(e.score >= 0 for e in found)
