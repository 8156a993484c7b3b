"""HTTP: a student's complete record from every service, as JSON and as a readable page.

Admins, and guardians with educational rights, may export (a teacher 403,
anyone who may not see the student 404). profile-svc decides that first, then
asks each service for its section with the export's own service token; a
section that does not come back fails the export with 503 naming it, never a
record with a part silently missing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from pathwise_contracts import derive_event_id
from pathwise_runtime.auth import CurrentPrincipal, Principal
from pathwise_runtime.exports import safe_filename
from pathwise_runtime.problems import Problem
from profile_svc.adapters.record_sections import RecordSections, RecordSettings, SectionUnavailable
from profile_svc.api.read_context import read_context
from profile_svc.api.stream_http import personal, runtime
from profile_svc.commands import viewers
from profile_svc.domain.record_labels import LABELS, page_language
from profile_svc.domain.record_page import render
from profile_svc.queries import full_record, records
from profile_svc.queries import profiles as queries

router = APIRouter(prefix="/v1", tags=["students"])
Lang = Annotated[
    str | None,
    Query(
        max_length=35,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
        description="Language of the readable copy (BCP 47); default the family's own.",
    ),
]


def sections(request: Request) -> RecordSections:
    """The section fetcher of this process (tests put one with in-process transports)."""
    rt = runtime(request)
    found = rt.extras.get("record_sections")
    if found is None:
        found = rt.extras["record_sections"] = RecordSections(rt.settings, RecordSettings())
    assert isinstance(found, RecordSections)
    return found


async def _export(
    request: Request, who: Principal, student_id: str, lang: str | None
) -> full_record.FullRecord:
    rt, opener = runtime(request), personal(request)
    async with rt.pool.acquire() as conn:
        viewer = await viewers.viewer(conn, who)
        profile = await queries.student(conn, student_id, viewer, opener)
    if profile is None:
        raise Problem(404, f"no student {student_id!r} in your district")
    if viewer.role not in ("admin", "guardian"):
        raise Problem(403, "only admins and guardians with educational rights may export")
    now = datetime.now(UTC)
    export_id = derive_event_id(
        "record-export", who.district, student_id, who.role, who.subject, now.isoformat()
    )
    guardian = who.subject if who.role == "guardian" else None
    try:
        parts = await sections(request).fetch(
            who.district, student_id, export_id, guardian_id=guardian
        )
    except SectionUnavailable as gone:
        raise Problem(
            503,
            f"{gone}; no partial record is given, try again later",
            slug="section-unavailable",
            section=gone.section,
            service=gone.service,
        ) from None
    own = next((g.language for g in profile.guardians if g.guardian_id == who.subject), None)
    async with rt.pool.acquire() as conn, conn.transaction():
        record = await records.export(
            conn, student_id, viewer, opener, now, read_context(request, who, export_id)
        )
    if record is None:  # erased between the two reads
        raise Problem(404, f"no student {student_id!r} in your district")
    return full_record.assemble(
        record,
        parts,
        export_id=export_id,
        exported_by=full_record.ExportedBy(kind=who.role, id=who.subject, district=who.district),
        language=page_language(lang or own),
    )


@router.get(
    "/students/{student_id}/full-record",
    response_model=full_record.FullRecord,
    response_model_by_alias=True,
)
async def export_full_record(
    student_id: str, who: CurrentPrincipal, request: Request, lang: Lang = None
) -> full_record.FullRecord:
    """The student's whole record from every service, schema ``pathwise.record-export.v1``."""
    return await _export(request, who, student_id, lang)


@router.get("/students/{student_id}/full-record.html", response_class=HTMLResponse)
async def export_full_record_page(
    student_id: str, who: CurrentPrincipal, request: Request, lang: Lang = None
) -> HTMLResponse:
    """The same record as one printable page, in the family's language."""
    found = await _export(request, who, student_id, lang)
    doc: dict[str, Any] = found.model_dump(mode="json", by_alias=True)
    name = safe_filename(f"record-{student_id}")
    return HTMLResponse(
        render(doc, found.language),
        headers={
            "Content-Disposition": f'inline; filename="{name}.html"',
            "Content-Language": found.language,
        },
    )


@router.get("/record-schema", tags=["students"])
async def record_schema() -> dict[str, Any]:
    """The JSON Schema of ``pathwise.record-export.v1``."""
    schema = full_record.FullRecord.model_json_schema(by_alias=True)
    schema["$id"] = f"urn:pathwise:schema:{full_record.SCHEMA}"
    schema["x-languages"] = sorted(LABELS)
    return schema
