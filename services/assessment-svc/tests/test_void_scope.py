"""A void counts only in the district of the result it names: another district's
``AssessmentVoided`` for the same assessment id leaves the result standing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from assessment_svc.main import SPEC
from assessment_svc.projections.assessments import AssessmentsProjection
from pathwise_contracts import AssessmentRecorded, AssessmentVoided, Envelope, Event
from pathwise_devstack.inprocess import record_of
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.service import open_pool, prepare_database

pytestmark = [pytest.mark.integration, pytest.mark.isolation]
AT = datetime(2026, 9, 2, 10, tzinfo=UTC)


def _wrapped(event: Event, district: str) -> Envelope:
    return Envelope.wrap(event, id=uuid.uuid4(), source="urn:test", district_id=district, time=AT)


async def test_a_void_from_another_district_voids_nothing(
    database: Callable[[], str], kafka_bootstrap: str
) -> None:
    dsn = database()
    await prepare_database(dsn, SPEC.migrations)
    pool = await open_pool(dsn, min_size=1, max_size=2)
    try:
        applier = BatchApplier(AssessmentsProjection(), pool, kafka_bootstrap)
        assessment = uuid.uuid4()
        result = AssessmentRecorded(
            assessment_id=assessment,
            student_id="s-void",
            competency_id="3.OA.A.1",
            score=1,
            max_score=2,
            occurred_at=AT,
            source="canvas",
            source_id="r-1",
        )
        void = AssessmentVoided(
            assessment_id=assessment, student_id="s-void", reason="entered_in_error"
        )
        await applier.apply([record_of(_wrapped(result, "d1"), 0)])
        await applier.apply([record_of(_wrapped(void, "d2"), 1)])
        standing = await pool.fetchval("SELECT voided FROM assessments")
        await applier.apply([record_of(_wrapped(void, "d1"), 2)])
        voided = await pool.fetchval("SELECT voided FROM assessments")
    finally:
        await pool.close()
    assert (standing, voided) == (False, True)
