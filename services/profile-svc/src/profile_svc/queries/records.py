"""A student's full record as one JSON document: the FERPA right to inspect.

Admins and guardians with educational rights may export it. It holds the
profile (with the guardians the caller may see), their consent history, the
current mastery and the record of disclosures (who read or exported it), the
export itself included.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
from pydantic import BaseModel

from profile_svc.adapters.personal import PersonalData
from profile_svc.domain.access import Viewer
from profile_svc.queries import disclosures
from profile_svc.queries import profiles as queries


class ConsentEntry(BaseModel):
    guardian_id: str
    channel: str
    granted: bool
    source: str
    given_at: datetime
    recorded_at: datetime


class StudentRecord(BaseModel):
    exported_at: datetime
    exported_by: str
    profile: queries.StudentView
    consent_history: list[ConsentEntry]
    access_log: list[disclosures.Disclosure]


async def export(
    conn: asyncpg.Connection,
    student_id: str,
    viewer: Viewer,
    personal: PersonalData,
    now: datetime,
    where: disclosures.ReadContext,
) -> StudentRecord | None:
    """The record, or None when the viewer may not see the student (answered as 404)."""
    profile = await queries.student(conn, student_id, viewer, personal)
    if profile is None:
        return None
    await disclosures.record_many(conn, viewer, [student_id], "export", where, at=now)
    rows = await conn.fetch(
        """SELECT guardian_id, channel, granted, source, given_at, recorded_at
             FROM consent_history
            WHERE district_id = $1 AND student_id = $2 AND guardian_id = ANY($3)
            ORDER BY given_at, recorded_at, guardian_id""",
        viewer.district,
        student_id,
        [g.guardian_id for g in profile.guardians],
    )
    log = await disclosures.export(
        conn, viewer.district, student_id=student_id, since=None, limit=100_000
    )
    return StudentRecord(
        exported_at=now,
        exported_by=viewer.subject,
        profile=profile,
        consent_history=[ConsentEntry(**dict(r)) for r in rows],
        access_log=log,
    )
