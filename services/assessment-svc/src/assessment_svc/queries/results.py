"""Read side: answers from the ``assessments`` projection, scoped to one district."""

from __future__ import annotations

import base64
import json
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
    next_cursor: str | None = None


def cursor_of(view: AssessmentView) -> str:
    raw = json.dumps(
        [view.occurred_at.isoformat(), view.recorded_at.isoformat(), str(view.assessment_id)]
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse_cursor(text: str) -> tuple[datetime, datetime, UUID]:
    """Raises ValueError for anything this service did not hand out."""
    raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    return datetime.fromisoformat(raw[0]), datetime.fromisoformat(raw[1]), UUID(raw[2])


async def one(pool: asyncpg.Pool, assessment_id: UUID, district: str) -> AssessmentView | None:
    row = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM assessments WHERE assessment_id = $1 AND district_id = $2",
        assessment_id,
        district,
    )
    return AssessmentView(**row) if row else None


async def of_student(
    pool: asyncpg.Pool,
    student_id: str,
    district: str,
    *,
    limit: int,
    after: tuple[datetime, datetime, UUID] | None = None,
) -> list[AssessmentView]:
    """Newest first by when the student was assessed; ``after`` continues a page."""
    keyset = ""
    args: list[object] = [student_id, district, limit]
    if after is not None:
        # Descending on the times, ascending on the id: compare piecewise.
        keyset = """AND (occurred_at < $4 OR (occurred_at = $4 AND (recorded_at < $5
                     OR (recorded_at = $5 AND assessment_id > $6))))"""
        args.extend(after)
    rows = await pool.fetch(
        f"""SELECT {_COLUMNS} FROM assessments
             WHERE student_id = $1 AND district_id = $2 {keyset}
             ORDER BY occurred_at DESC, recorded_at DESC, assessment_id
             LIMIT $3""",
        *args,
    )
    return [AssessmentView(**r) for r in rows]
