"""HTTP API of profile-svc: enroll students with their guardians, read profiles."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from pathwise_runtime.auth import Principal, require_role
from pathwise_runtime.problems import Problem
from pathwise_runtime.service import Runtime
from profile_svc import queries, roster
from profile_svc.domain.enrollment import Enrollment
from profile_svc.personal import PersonalData

Staff = Annotated[Principal, require_role("teacher", "admin", "service")]

router = APIRouter(prefix="/v1", tags=["students"])


class Receipt(BaseModel):
    student_id: str
    status: Literal["enrolled", "unchanged"]


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.post("/students", status_code=201, response_model=Receipt)
async def enroll(body: Enrollment, who: Staff, request: Request, response: Response) -> Receipt:
    """Enroll a student and link their guardians; posting the same data again is harmless."""
    if body.district_id is not None and body.district_id != who.district:
        raise Problem(403, f"district_id must be your district ({who.district!r})")
    runtime = _runtime(request)
    result = await roster.enroll(
        runtime.pool,
        body,
        district=who.district,
        personal=PersonalData(runtime.settings),
        source=runtime.source,
    )
    if result.outcome is roster.Outcome.CONFLICT:
        raise Problem(
            409,
            f"student {body.student_id!r} is already enrolled with different data",
            slug="student-conflict",
        )
    response.headers["ETag"] = f'"{result.version}"'
    if result.outcome is roster.Outcome.UNCHANGED:
        response.status_code = 200
        return Receipt(student_id=body.student_id, status="unchanged")
    return Receipt(student_id=body.student_id, status="enrolled")


@router.get("/students/{student_id}", response_model=queries.StudentView)
async def get_student(student_id: str, who: Staff, request: Request) -> queries.StudentView:
    """The student with their guardians, personal fields decrypted for this answer only."""
    runtime = _runtime(request)
    found = await queries.student(
        runtime.pool, student_id, who.district, PersonalData(runtime.settings)
    )
    if found is None:
        raise Problem(404, f"no student {student_id!r} in your district")
    return found
