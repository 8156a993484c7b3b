"""HTTP API of assessment-svc: record and void results, read them back.

Every result is about one student, and the runtime's policy decides on it:
an admin or a service of the student's district, a teacher of one of the
student's sections. Results may arrive before the roster, so an admin or a
service may record for a student nobody knows yet, never for one another
district holds or one that was erased.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from assessment_svc.commands import ingestion
from assessment_svc.domain.submission import Submission
from assessment_svc.domain.voiding import VoidRequest
from assessment_svc.queries import results as queries
from pathwise_contracts import AssessmentRecordAccessed
from pathwise_runtime import access, disclosure
from pathwise_runtime.auth import Staff
from pathwise_runtime.policy import Act
from pathwise_runtime.problems import Problem
from pathwise_runtime.service import Runtime

router = APIRouter(prefix="/v1", tags=["assessments"])


class Receipt(BaseModel):
    assessment_id: UUID
    status: Literal["recorded", "duplicate", "voided", "already_voided"]


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.post("/assessments", status_code=201, response_model=Receipt)
async def record(body: Submission, who: Staff, request: Request, response: Response) -> Receipt:
    """Record a result; re-sending the same (source, source_id) is harmless."""
    if body.district_id is not None and body.district_id != who.district:
        raise Problem(403, f"district_id must be your district ({who.district!r})")
    runtime = _runtime(request)
    async with runtime.pool.acquire() as conn:
        outcome, assessment_id = await ingestion.record(conn, who, body, source=runtime.source)
    if outcome is ingestion.Outcome.CONFLICT:
        raise Problem(
            409,
            f"source {body.source!r} result {body.source_id!r} was already recorded "
            "with different content",
            slug="assessment-conflict",
            assessment_id=str(assessment_id),
        )
    if outcome is ingestion.Outcome.DUPLICATE:
        response.status_code = 200
        return Receipt(assessment_id=assessment_id, status="duplicate")
    return Receipt(assessment_id=assessment_id, status="recorded")


@router.post("/assessments/{assessment_id}/void", response_model=Receipt)
async def void(assessment_id: UUID, body: VoidRequest, who: Staff, request: Request) -> Receipt:
    """Withdraw a result from the evidence; voiding twice is harmless."""
    runtime = _runtime(request)
    async with runtime.pool.acquire() as conn:
        target = await ingestion.find(conn, assessment_id)
        if target is None or target.district_id != who.district:
            raise Problem(404, f"no assessment {assessment_id} in your district")
        await access.authorize(conn, who, Act.RECORD, target.student_id)
        first = await ingestion.void(conn, target, body.reason, source=runtime.source)
    return Receipt(assessment_id=assessment_id, status="voided" if first else "already_voided")


@router.get("/assessments/{assessment_id}", response_model=queries.AssessmentView)
async def get_one(assessment_id: UUID, who: Staff, request: Request) -> queries.AssessmentView:
    pool = _runtime(request).pool
    found = await queries.one(pool, assessment_id, who.district)
    if found is None:
        raise Problem(404, f"no assessment {assessment_id} in your district")
    async with pool.acquire() as conn:
        await access.authorize(conn, who, Act.READ, found.student_id)
    await disclosure.log_read(
        request, who, found.student_id, section="results", kind=AssessmentRecordAccessed
    )
    return found


@router.get("/students/{student_id}/assessments", response_model=queries.StudentAssessments)
async def of_student(
    student_id: str,
    who: Staff,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    cursor: str | None = None,
) -> queries.StudentAssessments:
    """The student's results, newest first (voided ones included, flagged).

    A full page carries ``next_cursor``; pass it as ``cursor`` for the next one.
    """
    try:
        after = queries.parse_cursor(cursor) if cursor else None
    except (ValueError, TypeError, IndexError) as exc:
        raise Problem(400, "cursor is not one this service handed out", field="cursor") from exc
    pool = _runtime(request).pool
    async with pool.acquire() as conn:
        await access.authorize(conn, who, Act.READ, student_id)
    found = await queries.of_student(pool, student_id, who.district, limit=limit, after=after)
    next_cursor = queries.cursor_of(found[-1]) if len(found) == limit else None
    await disclosure.log_read(
        request, who, student_id, section="results", kind=AssessmentRecordAccessed
    )
    return queries.StudentAssessments(
        student_id=student_id, assessments=found, next_cursor=next_cursor
    )


class Batch(BaseModel):
    """The body of ``POST /v1/assessments/batch``."""

    model_config = ConfigDict(extra="forbid")

    results: list[Submission] = Field(min_length=1, max_length=1000)


class BatchReceipt(BaseModel):
    receipts: list[Receipt | dict[str, str]]


@router.post("/assessments/batch", response_model=BatchReceipt)
async def record_batch(
    body: Batch,
    who: Staff,
    request: Request,
    idempotency_key: Annotated[str, Header(min_length=1, max_length=200)],
) -> BatchReceipt:
    """Up to 1,000 results in one transaction; the same ``Idempotency-Key`` answers the same.

    Each result gets its own status (recorded, duplicate or conflict); a key reused
    with a different body is 422.
    """
    runtime = _runtime(request)
    for index, item in enumerate(body.results):
        if item.district_id is not None and item.district_id != who.district:
            raise Problem(403, f"results.{index}.district_id must be your district")
    digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    async with runtime.pool.acquire() as conn, conn.transaction():
        checked: set[str] = set()  # a batch is mostly a few students' results: ask once each
        for index, item in enumerate(body.results):
            if item.student_id in checked:
                continue
            try:
                await access.authorize(conn, who, Act.RECORD, item.student_id)
            except Problem as exc:
                raise Problem(exc.status, f"results.{index}.student_id: {exc.detail}") from exc
            checked.add(item.student_id)
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", idempotency_key)
        known = await conn.fetchrow(
            """SELECT fingerprint, response FROM idempotency_keys
                WHERE district_id = $1 AND key = $2""",
            who.district,
            idempotency_key,
        )
        if known is not None:
            if known["fingerprint"] != digest:
                raise Problem(
                    422, "Idempotency-Key was used with a different body", field="Idempotency-Key"
                )
            return BatchReceipt.model_validate_json(known["response"])
        receipts: list[Receipt | dict[str, str]] = []
        for item in body.results:
            outcome, assessment_id = await ingestion.record_in(
                conn, item, district=who.district, source=runtime.source
            )
            status = {"recorded": "recorded", "duplicate": "duplicate"}.get(outcome, "conflict")
            receipts.append({"assessment_id": str(assessment_id), "status": status})
        answer = BatchReceipt(receipts=receipts)
        await conn.execute(
            """INSERT INTO idempotency_keys (district_id, key, fingerprint, response)
               VALUES ($1, $2, $3, $4::jsonb)""",
            who.district,
            idempotency_key,
            digest,
            answer.model_dump_json(),
        )
    return answer
