"""Read side: answers from the ``assessments`` projection, scoped to one district."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
from pydantic import BaseModel

_COLUMNS = """assessment_id, student_id, competency_id, score, max_score, occurred_at,
              source, source_id, recorded_at, voided, void_reason"""


class AssessmentView(BaseModel):
    assessment_id: UUID
    student_id: str
    competency_id: str
    score: float
    max_score: float
    occurred_at: datetime
    source: str
    source_id: str
    recorded_at: datetime
    voided: bool
    void_reason: str | None


class StudentAssessments(BaseModel):
    student_id: str
    assessments: list[AssessmentView]


async def one(pool: asyncpg.Pool, assessment_id: UUID, district: str) -> AssessmentView | None:
    row = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM assessments WHERE assessment_id = $1 AND district_id = $2",
        assessment_id,
        district,
    )
    return AssessmentView(**row) if row else None


async def of_student(
    pool: asyncpg.Pool, student_id: str, district: str, *, limit: int
) -> list[AssessmentView]:
    """Newest first by when the student was assessed."""
    rows = await pool.fetch(
        f"""SELECT {_COLUMNS} FROM assessments
             WHERE student_id = $1 AND district_id = $2
             ORDER BY occurred_at DESC, recorded_at DESC, assessment_id
             LIMIT $3""",
        student_id,
        district,
        limit,
    )
    return [AssessmentView(**r) for r in rows]
