"""Queries: the delivery log of a student's guardians.

Answers come from ``delivery_log`` (rebuilt from notify-svc's own topic), so
"did the family hear about it, and why not?" has the same answer after a replay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from pathwise_runtime.auth import Principal, require_role

router = APIRouter(prefix="/v1", tags=["notifications"])

Reader = Annotated[Principal, require_role("teacher", "admin", "service", "guardian")]


class Delivery(BaseModel):
    """One notification's latest outcome."""

    notification_id: UUID
    guardian_id: str
    channel: str
    cause_event_id: UUID
    status: str = Field(description="'sent', 'failed' or 'suppressed'.")
    final: bool = Field(description="False while a failed notification will be retried.")
    template: str | None
    attempt: int | None
    error: str | None = Field(description="Scrubbed provider error or suppression reason.")
    at: datetime


class StudentNotifications(BaseModel):
    student_id: str
    notifications: list[Delivery]


@router.get("/students/{student_id}/notifications", response_model=StudentNotifications)
async def student_notifications(
    request: Request, who: Reader, student_id: Annotated[str, Path(min_length=1)]
) -> StudentNotifications:
    """Newest first, in the caller's district; a guardian sees only what was sent to them."""
    pool = request.app.state.runtime.pool
    guardian = who.subject if who.role == "guardian" else None
    rows = await pool.fetch(
        """SELECT notification_id, guardian_id, channel, cause_event_id, status, final,
                  template, attempt, error, at
             FROM delivery_log
            WHERE student_id = $1 AND district_id = $2
              AND ($3::text IS NULL OR guardian_id = $3)
            ORDER BY at DESC, notification_id""",
        student_id,
        who.district,
        guardian,
    )
    return StudentNotifications(
        student_id=student_id, notifications=[Delivery(**dict(r)) for r in rows]
    )
