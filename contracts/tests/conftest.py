"""Shared builders for contract tests."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from uuid import UUID

import pytest

from pathwise_contracts import AssessmentRecorded, EncryptedValue

CAUSE = UUID("00000000-0000-4000-8000-000000000001")


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture
def encrypted() -> EncryptedValue:
    return EncryptedValue(kid="k1", alg="A256GCM", nonce=b64url(b"\0" * 12), ct=b64url(b"x" * 20))


@pytest.fixture
def recorded() -> AssessmentRecorded:
    return AssessmentRecorded(
        assessment_id=CAUSE,
        student_id="stu-1",
        competency_id="math.fractions",
        score=7.5,
        max_score=10,
        occurred_at=datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
        source="lms",
        source_id="r-42",
    )
