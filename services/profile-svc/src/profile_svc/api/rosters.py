"""HTTP: OneRoster import, student search and the full-record export."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from pathwise_runtime.auth import AdminOrService, CurrentPrincipal
from pathwise_runtime.problems import Problem
from profile_svc.api.read_context import read_context
from profile_svc.api.stream_http import personal, runtime
from profile_svc.commands import roster_import, viewers
from profile_svc.domain.oneroster import PackageError, parse, read_zip
from profile_svc.queries import disclosures, records, search

router = APIRouter(prefix="/v1", tags=["roster"])

_MAX_BODY = 64 * 1024 * 1024
_ZIP = {"application/zip", "application/x-zip-compressed", "application/octet-stream"}


async def _body(request: Request) -> bytes:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in _ZIP:
        raise Problem(415, f"body: send the OneRoster package as application/zip, not {kind!r}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _MAX_BODY:
            raise Problem(413, f"body: the package exceeds {_MAX_BODY // 2**20} MiB")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/rosters/oneroster",
    response_model=roster_import.ImportReport,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def import_oneroster(who: AdminOrService, request: Request) -> roster_import.ImportReport:
    """Import a OneRoster 1.2 CSV package (zip): bulk or delta, idempotent.

    Students are enrolled, changed, withdrawn (``tobedeleted``) and linked to
    their guardians; section teachers follow the teacher enrollments. Rows
    that cannot be imported are listed with file, row, field and reason; the
    rest is imported.
    """
    try:
        package = parse(read_zip(await _body(request)))
    except PackageError as error:
        raise Problem(422, str(error), slug="invalid-roster") from None
    rt = runtime(request)
    async with rt.pool.acquire() as conn:
        viewer = await viewers.viewer(conn, who)
    return await roster_import.run(
        rt.pool,
        package,
        viewer=viewer,
        personal=personal(request),
        source=rt.source,
        today=datetime.now(UTC).date(),
    )


@router.get("/students", response_model=list[search.StudentSummary], tags=["students"])
async def find_students(
    who: CurrentPrincipal,
    request: Request,
    school: str | None = None,
    section: str | None = None,
    grade: str | None = None,
    after: Annotated[str | None, Query(description="Last student_id of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[search.StudentSummary]:
    """Students of your district you may see, by school, section and grade (each optional).

    Every student listed is recorded in the access log.
    """
    async with runtime(request).pool.acquire() as conn:
        viewer = await viewers.viewer(conn, who)
        found = await search.students(
            conn,
            viewer,
            personal(request),
            school=school,
            section=section,
            grade=grade,
            after=after,
            limit=limit,
        )
        await disclosures.record_many(
            conn, viewer, [s.student_id for s in found], "list", read_context(request, who)
        )
    return found


@router.get(
    "/students/{student_id}/record", response_model=records.StudentRecord, tags=["students"]
)
async def export_record(
    student_id: str, who: CurrentPrincipal, request: Request
) -> records.StudentRecord:
    """The student's full record as JSON (FERPA inspection): admins, and guardians with rights."""
    async with runtime(request).pool.acquire() as conn:
        viewer = await viewers.viewer(conn, who)
        async with conn.transaction():
            found = await records.export(
                conn,
                student_id,
                viewer,
                personal(request),
                datetime.now(UTC),
                read_context(request, who),
            )
            if found is not None and viewer.role not in ("admin", "guardian"):
                raise Problem(403, "only admins and guardians with educational rights may export")
    if found is None:
        raise Problem(404, f"no student {student_id!r} in your district")
    return found
