"""Logging each read of a student's record: one access event per answer, via the outbox.

FERPA asks a school to keep a record of who saw a student's record. Every
service that answers about a student calls ``log_read`` once it has decided
the caller may see them; the event goes out on the service's own access topic
and profile-svc projects all of them into the one access log the record
export shows. The event names people by id only.

The reads a record export makes of every service carry the export's id
(``X-Pathwise-Export-Id``, honoured only on a service token issued for the
export): they are logged as part of that export, not as separate reads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from fastapi import Depends, Request

from pathwise_contracts import Envelope, RecordAccessed, derive_event_id
from pathwise_runtime import outbox
from pathwise_runtime.auth import CurrentPrincipal, Principal
from pathwise_runtime.policy import EXPORT_PURPOSE, decide_export_section
from pathwise_runtime.problems import Problem

EXPORT_ID_HEADER = "X-Pathwise-Export-Id"
READ_PURPOSE = "record-read"


def access_event(
    kind: type[RecordAccessed],
    who: Principal,
    student_id: str,
    *,
    section: str,
    endpoint: str,
    at: datetime,
    source: str,
    export_id: UUID | None = None,
) -> Envelope:
    """The envelope of one read; its id is derived from the read, so a retry is one entry."""
    event = kind(
        student_id=student_id,
        principal_kind=who.role,
        principal_id=who.subject,
        principal_district=who.district,
        section=section,
        endpoint=endpoint,
        purpose=EXPORT_PURPOSE if export_id else READ_PURPOSE,
        accessed_at=at,
        export_id=export_id,
    )
    parts = (who.district, student_id, who.role, who.subject, section, endpoint, at.isoformat())
    event_id = derive_event_id(kind.type, *parts, str(export_id or ""))
    return Envelope.wrap(event, id=event_id, source=source, district_id=who.district, time=at)


async def record(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    await outbox.add_events(conn, envelopes)


def export_id_of(request: Request, who: Principal) -> UUID | None:
    """The export this read is part of: only a service token issued for exports names one."""
    raw = request.headers.get(EXPORT_ID_HEADER)
    if raw is None or who.role != "service" or who.purpose != EXPORT_PURPOSE:
        return None
    try:
        return UUID(raw)
    except ValueError:
        raise Problem(400, f"{EXPORT_ID_HEADER}: not a UUID", field=EXPORT_ID_HEADER) from None


def endpoint_of(request: Request) -> str:
    """``METHOD /route/{template}``: which endpoint, without the ids filled in."""
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


async def log_read(
    request: Request,
    who: Principal,
    student_ids: str | list[str],
    *,
    section: str,
    kind: type[RecordAccessed],
) -> None:
    """Log that ``who`` was just answered about the student(s), in a transaction of its own."""
    ids = [student_ids] if isinstance(student_ids, str) else student_ids
    if not ids:
        return
    runtime = request.app.state.runtime
    at = datetime.now(UTC)
    export_id, endpoint = export_id_of(request, who), endpoint_of(request)
    envelopes = [
        access_event(
            kind,
            who,
            s,
            section=section,
            endpoint=endpoint,
            at=at,
            source=runtime.source,
            export_id=export_id,
        )
        for s in ids
    ]
    async with runtime.pool.acquire() as conn, conn.transaction():
        await record(conn, envelopes)


async def _export_reader(who: CurrentPrincipal, request: Request) -> Principal:
    denied = decide_export_section(who)
    if denied is not None:
        raise Problem(denied.status, denied.detail)
    if export_id_of(request, who) is None:
        raise Problem(400, f"{EXPORT_ID_HEADER}: required", field=EXPORT_ID_HEADER)
    return who


ExportReader = Annotated[Principal, Depends(_export_reader)]
"""The export's own service token, with the export's id: the only reader of a section."""
