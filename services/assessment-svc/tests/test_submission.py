"""The submitted result: validation, its id and what counts as the same result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from assessment_svc.domain.submission import Submission
from assessment_svc.domain.voiding import VoidRequest, void_event
from pathwise_contracts.ids import assessment_id as derive_assessment_id

pytestmark = pytest.mark.unit


def body(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "student_id": "stu-1",
        "competency_id": "3.OA.A.1",
        "score": 3,
        "max_score": 4,
        "occurred_at": "2026-09-01T10:00:00+02:00",
        "source": "canvas",
        "source_id": "sub-17",
    }
    return {**base, **changes}


def error_fields(exc: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in exc.errors()}


def test_the_id_comes_from_district_source_and_source_id() -> None:
    submission = Submission.model_validate(body())
    assert submission.assessment_id("d1") == derive_assessment_id("d1", "canvas", "sub-17")
    changed = Submission.model_validate(body(score=1))
    assert changed.assessment_id("d1") == submission.assessment_id("d1")
    assert submission.assessment_id("d2") != submission.assessment_id("d1")


def test_the_fingerprint_ignores_notation() -> None:
    a = Submission.model_validate(body())
    b = Submission.model_validate(body(score=3.0, occurred_at="2026-09-01T08:00:00Z"))
    assert a.fingerprint("d1") == b.fingerprint("d1")


@pytest.mark.parametrize(
    "change",
    [{"score": 2}, {"student_id": "stu-2"}, {"competency_id": "x"}, {"max_score": 5}],
)
def test_the_fingerprint_sees_changed_content(change: dict[str, Any]) -> None:
    a = Submission.model_validate(body())
    assert a.fingerprint("d1") != Submission.model_validate(body(**change)).fingerprint("d1")
    assert a.fingerprint("d1") != a.fingerprint("d2")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"score": 5}, "score"),
        ({"score": -1}, "score"),
        ({"max_score": 0}, "max_score"),
        ({"occurred_at": "2026-09-01T10:00:00"}, "occurred_at"),
        ({"source": "a|b"}, "source"),
        ({"source_id": ""}, "source_id"),
        ({"student_id": ""}, "student_id"),
        ({"scorez": 1}, "scorez"),
    ],
)
def test_invalid_results_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Submission.model_validate(body(**change))
    assert field in error_fields(caught.value)


def test_the_event_carries_the_result() -> None:
    event = Submission.model_validate(body()).event(derive_assessment_id("d1", "canvas", "sub-17"))
    assert event.assessment_id == derive_assessment_id("d1", "canvas", "sub-17")
    assert event.occurred_at == datetime(2026, 9, 1, 10, tzinfo=timezone(timedelta(hours=2)))
    assert event.occurred_at.astimezone(UTC).hour == 8
    assert (event.score, event.max_score, event.student_id) == (3, 4, "stu-1")


def test_a_void_has_one_id_per_assessment_and_a_code_reason() -> None:
    target = derive_assessment_id("d1", "canvas", "sub-17")
    first, event = void_event(target, "stu-1", "entered_in_error")
    assert first == void_event(target, "stu-1", "duplicate_entry")[0]
    assert (event.assessment_id, event.reason) == (target, "entered_in_error")
    with pytest.raises(ValidationError):
        VoidRequest.model_validate({"reason": "Entered in error"})
