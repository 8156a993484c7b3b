"""The record of disclosures FERPA asks for: who read which student's record, in any service.

Every service emits a ``RecordAccessed`` on its own access topic when it
answers about a student; ``projections.access_log`` puts them all in
``access_log``, keyed by (district, student). profile-svc's own reads are
written here at once as well (same event id, so the projection adds nothing
twice): an export shows the reads up to and including itself. It names people
by id only; erasing a student drops their entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
from pydantic import BaseModel, Field

from pathwise_contracts import ProfileRecordAccessed
from pathwise_runtime import disclosure
from pathwise_runtime.auth import Principal
from profile_svc.domain.access import Viewer
from profile_svc.projections.access_log import SECTIONS, forget, insert


class Disclosure(BaseModel):
    at: datetime
    actor: str = Field(description="Who read: the principal's id.")
    role: str = Field(description="The principal's kind: admin, teacher, guardian, ...")
    student_id: str
    action: str = Field(description="'read', 'list' or 'export' (a read made for an export).")
    service: str = Field("profile-svc", description="The service that answered.")
    section: str | None = Field(None, description="Which part of the record.")
    endpoint: str | None = Field(None, description="Method and route template.")
    purpose: str = Field("record-read", description="'record-read' or 'record-export'.")
    principal_district: str | None = None
    export_id: UUID | None = Field(None, description="The export this read was part of.")


@dataclass(frozen=True, slots=True)
class ReadContext:
    """Where a read was answered: the emitting source, the endpoint, the export it serves."""

    source: str
    endpoint: str
    export_id: UUID | None = None


async def record_many(
    conn: asyncpg.Connection,
    viewer: Viewer,
    student_ids: list[str],
    action: str,
    where: ReadContext,
    *,
    at: datetime | None = None,
) -> None:
    """One entry per student answered about, logged here and emitted for the log."""
    if not student_ids:
        return
    who = Principal(viewer.subject, viewer.role, viewer.district)
    when = at or datetime.now(UTC)
    envelopes = [
        disclosure.access_event(
            ProfileRecordAccessed,
            who,
            s,
            section=SECTIONS[action],
            endpoint=where.endpoint,
            at=when,
            source=where.source,
            export_id=where.export_id,
        )
        for s in student_ids
    ]
    await insert(conn, [(e, "profile-svc") for e in envelopes])
    await disclosure.record(conn, envelopes)


async def record(
    conn: asyncpg.Connection, viewer: Viewer, student_id: str, action: str, where: ReadContext
) -> None:
    await record_many(conn, viewer, [student_id], action, where)


async def export(
    conn: asyncpg.Connection,
    district: str,
    *,
    student_id: str | None,
    since: datetime | None,
    limit: int,
) -> list[Disclosure]:
    rows = await conn.fetch(
        """SELECT at, actor, role, student_id, action, service, section, endpoint, purpose,
                  principal_district, export_id
             FROM access_log
            WHERE district_id = $1 AND ($2::text IS NULL OR student_id = $2)
              AND ($3::timestamptz IS NULL OR at >= $3)
            ORDER BY at, event_id LIMIT $4""",
        district,
        student_id,
        since,
        limit,
    )
    return [Disclosure(**{k: v for k, v in dict(r).items() if v is not None}) for r in rows]


__all__ = ["Disclosure", "ReadContext", "export", "forget", "record", "record_many"]
