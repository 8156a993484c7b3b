"""assessment-svc's section of a student's full record (FERPA export): results and evidence.

Read only by the export's own service token (``policy.decide_export_section``);
profile-svc assembles the sections of every service into one record. The xAPI
statements are those whose actor is one of the student's identities in the
caller's district, opened with their stored keys: an erased student has none.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from assessment_svc.queries import results as queries
from assessment_svc.queries import statements
from pathwise_contracts import AssessmentRecordAccessed
from pathwise_runtime import access, disclosure
from pathwise_runtime.disclosure import ExportReader
from pathwise_runtime.policy import Act
from pathwise_runtime.service import Runtime

router = APIRouter(prefix="/v1", tags=["records"])

_STATEMENTS = """
SELECT s.statement FROM statements s
 WHERE s.district_id = $1 AND NOT s.voided
   AND s.agent IN (SELECT identity FROM identities WHERE district_id = $1 AND student_id = $2)
 ORDER BY s."timestamp", s.statement_id
"""


class AssessmentSection(BaseModel):
    """Every result about the student (voided ones flagged) and the statements they made."""

    service: str = "assessment-svc"
    results: list[queries.AssessmentView]
    statements: list[dict[str, Any]] = Field(description="xAPI statements, as stored.")


@router.get("/students/{student_id}/record-section", response_model=AssessmentSection)
async def record_section(student_id: str, who: ExportReader, request: Request) -> AssessmentSection:
    """The student's results and xAPI statements, for the record export only."""
    runtime: Runtime = request.app.state.runtime
    async with runtime.pool.acquire() as conn:
        await access.authorize(conn, who, Act.READ, student_id)
        sealed = [r["statement"] for r in await conn.fetch(_STATEMENTS, who.district, student_id)]
    found = await queries.of_student(runtime.pool, student_id, who.district, limit=1_000_000)
    opened = await statements.documents(runtime, who.district, sealed) if sealed else []
    await disclosure.log_read(
        request, who, student_id, section="results", kind=AssessmentRecordAccessed
    )
    return AssessmentSection(results=found, statements=opened)
