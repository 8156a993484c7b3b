"""Whose statements an LRS answer showed: the students behind their actors, for the access log."""

from __future__ import annotations

import uuid

import asyncpg
from fastapi import Request

from pathwise_contracts import AssessmentRecordAccessed
from pathwise_runtime import disclosure
from pathwise_runtime.auth import Principal

_STUDENTS = """
SELECT DISTINCT i.student_id FROM statements s
  JOIN identities i ON i.district_id = s.district_id AND i.identity = s.agent
 WHERE s.district_id = $1 AND s.statement_id = ANY($2::uuid[])
 ORDER BY 1
"""


async def log_shown(
    request: Request, pool: asyncpg.Pool, who: Principal, statement_ids: list[uuid.UUID]
) -> None:
    """One access log entry per rostered student whose statements were in the answer."""
    if not statement_ids:
        return
    rows = await pool.fetch(_STUDENTS, who.district, statement_ids)
    await disclosure.log_read(
        request,
        who,
        [r["student_id"] for r in rows],
        section="statements",
        kind=AssessmentRecordAccessed,
    )
