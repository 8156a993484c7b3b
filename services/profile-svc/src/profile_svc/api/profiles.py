"""HTTP API of profile-svc: enrollment, reading a profile, erasure and the admin side."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import asyncpg
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from pathwise_contracts import EncryptedValue, Event, SubjectErased
from pathwise_runtime.auth import (
    Admin,
    AdminOrService,
    CurrentPrincipal,
    Service,
)
from pathwise_runtime.problems import Problem
from profile_svc.adapters.keystore import STORED_PREFIX, Kind
from profile_svc.adapters.personal import Vault
from profile_svc.api.read_context import read_context
from profile_svc.api.stream_http import Accepted, allowed, personal, run, runtime
from profile_svc.commands import streams, teaching, viewers
from profile_svc.domain.enrollment import Enrollment
from profile_svc.queries import disclosures
from profile_svc.queries import profiles as queries

router = APIRouter(prefix="/v1", tags=["students"])


class Receipt(BaseModel):
    student_id: str
    status: Literal["enrolled", "unchanged"]


@router.post("/students", status_code=201, response_model=Receipt)
async def enroll(
    body: Enrollment, who: AdminOrService, request: Request, response: Response
) -> Receipt:
    """Enroll a student and link their guardians; posting the same data again is harmless."""
    if body.district_id is not None and body.district_id != who.district:
        raise Problem(403, f"district_id must be your district ({who.district!r})")
    rt = runtime(request)
    try:
        result = await streams.enroll(
            rt.pool, body, district=who.district, personal=personal(request), source=rt.source
        )
    except streams.ErasedGuardian as exc:
        index = next(i for i, g in enumerate(body.guardians) if g.guardian_id == exc.guardian_id)
        field = f"guardians.{index}.guardian_id"
        raise Problem(
            422,
            f"{field}: {exc}",
            slug="validation-error",
            errors=[{"field": field, "detail": str(exc)}],
        ) from exc
    if result.outcome is streams.Outcome.CONFLICT:
        raise Problem(
            409,
            f"student {body.student_id!r} is already enrolled with different data",
            slug="student-conflict",
        )
    if result.outcome is streams.Outcome.ERASED:
        raise Problem(409, f"student {body.student_id!r} was erased", slug="student-erased")
    response.headers["ETag"] = f'"{result.version}"'
    if result.outcome is streams.Outcome.UNCHANGED:
        response.status_code = 200
        return Receipt(student_id=body.student_id, status="unchanged")
    return Receipt(student_id=body.student_id, status="enrolled")


@router.get("/students/{student_id}", response_model=queries.StudentView)
async def get_student(
    student_id: str, who: CurrentPrincipal, request: Request, response: Response
) -> queries.StudentView:
    """The student as the caller may see them; personal fields decrypted for this answer only.

    Every answer is recorded in the access log. ``ETag`` is the version the
    projection shows; send it back as ``If-Match`` with a change.
    """
    async with runtime(request).pool.acquire() as conn:
        viewer = await viewers.viewer(conn, who)
        found = await queries.student(conn, student_id, viewer, personal(request))
        if found is None:
            raise Problem(404, f"no student {student_id!r} in your district")
        await disclosures.record(conn, viewer, student_id, "read", read_context(request, who))
    response.headers["ETag"] = f'"{found.version}"'
    return found


@router.delete("/students/{student_id}", status_code=204)
async def erase_student(
    student_id: str,
    who: Admin,
    request: Request,
    response: Response,
) -> Response:
    """Erase the student: destroy their key, drop their rows everywhere (``SubjectErased``).

    A guardian known only as this student's guardian goes with them: their key is
    destroyed too, so their contact on the log can no longer be opened. (They are
    not tombstoned: a later enrolment that names them links them afresh.)
    """
    keystore = personal(request).keystore

    def decide(stream: streams.Stream, version: int, _: Vault) -> list[Event]:
        return [
            SubjectErased(
                student_id=stream.student_id,
                version=version,
                subject_id=stream.student_id,
                kind="student",
                erased_at=datetime.now(UTC),
            )
        ]

    async def then(conn: asyncpg.Connection, stream: streams.Stream) -> None:
        await keystore.destroy(conn, stream.district, "student", [stream.student_id])
        guardians = list(stream.state.guardians)
        lone = await streams.lone_guardians(conn, stream.district, stream.student_id, guardians)
        await keystore.destroy(conn, stream.district, "guardian", lone)
        await disclosures.forget(conn, stream.district, stream.student_id)

    await run(
        request,
        response,
        who,
        student_id,
        if_match=request.headers.get("if-match"),
        may=allowed("admin"),
        decide=decide,
        then=then,
    )
    return Response(status_code=204)


_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Teachers(BaseModel):
    teacher_ids: list[str] = Field(max_length=50)
    emails: dict[str, Annotated[str, Field(pattern=_EMAIL, max_length=254)]] = Field(
        default_factory=dict,
        description="Optional work addresses by teacher id; a teacher left out keeps theirs.",
    )


@router.put("/sections/{section_id}/teachers", status_code=204, tags=["roster"])
async def assign_teachers(
    section_id: str, body: Teachers, who: AdminOrService, request: Request
) -> Response:
    """Who teaches a section: decides which students a teacher sees (and whom to alert).

    The section's students get a ``TeachersAssigned`` when their teacher set
    changes; the same body again changes nothing.
    """
    stray = sorted(set(body.emails) - set(body.teacher_ids))
    if stray:
        raise Problem(
            422, f"emails: {stray[0]!r} is not in teacher_ids", slug="validation", field="emails"
        )
    rt = runtime(request)
    async with rt.pool.acquire() as conn, conn.transaction():
        await viewers.assign_teachers(conn, who.district, section_id, body.teacher_ids)
        readdressed = await teaching.set_emails(conn, personal(request), who.district, body.emails)
        students = await teaching.students_in_sections(conn, who.district, [section_id])
        students += await teaching.students_of_teachers(conn, who.district, readdressed)
        await teaching.refresh(conn, who.district, students, source=rt.source)
    return Response(status_code=204)


@router.get("/access-log", response_model=list[disclosures.Disclosure], tags=["admin"])
async def access_log(
    who: Admin,
    request: Request,
    student_id: str | None = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> list[disclosures.Disclosure]:
    """Export the district's record of disclosures (FERPA), oldest first."""
    async with runtime(request).pool.acquire() as conn:
        return await disclosures.export(
            conn, who.district, student_id=student_id, since=since, limit=limit
        )


# What other services may have opened: contacts to deliver a message. A
# student's own data (name, notes, reflections) is opened only in here.
OPENABLE: tuple[Kind, ...] = ("guardian", "teacher")


class Sealed(BaseModel):
    values: list[EncryptedValue] = Field(max_length=1000)


class Opened(BaseModel):
    values: list[str | None]


@router.post("/personal-data/open", response_model=Opened, tags=["keys"])
async def open_personal_data(body: Sealed, who: Service, request: Request) -> Opened:
    """Decrypt personal data for another Pathwise service (null once the subject is erased).

    This is how consumers read fields sealed with stored, erasable keys; they
    never hold those keys themselves. A service token opens only contacts
    (guardians', teachers') of its own district; anything else reads as null,
    like an erased value, so the answer tells nothing of other districts.
    """
    data = personal(request)
    async with runtime(request).pool.acquire() as conn:
        vault = await data.vault(
            conn, who.district, kids=[v.kid for v in body.values], kinds=OPENABLE
        )
    # Values under keys derived from the master key (older logs) are not this
    # endpoint's to open: they are not per-subject, so they cannot be scoped.
    return Opened(
        values=[vault.open(v) if v.kid.startswith(STORED_PREFIX) else None for v in body.values]
    )


__all__ = ["Accepted", "router"]
