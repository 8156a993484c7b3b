"""notify-svc's section of a student's full record (FERPA export): what the family was sent.

Read only by the export's own service token (``policy.decide_export_section``).
One entry per message to the student's guardians in the caller's district:
channel, when, what it was about (the trigger and the template), its status.
Staff alerts to teachers are not part of what the family was sent; with
``guardian_id`` (a guardian exporting) only that guardian's messages, so one
family never reads another's. No addresses: notify-svc has none in clear.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from pathwise_contracts import NotifyRecordAccessed
from pathwise_runtime import disclosure
from pathwise_runtime.disclosure import ExportReader
from pathwise_runtime.service import Runtime

router = APIRouter(prefix="/v1", tags=["records"])

_SENT = """
SELECT l.notification_id, l.guardian_id, l.channel, l.at, l.status, l.final, l.template,
       coalesce(l.cause, c.kind) AS cause, l.language, l.error, l.delivery
  FROM delivery_log l
  LEFT JOIN causes c ON c.cause_event_id = l.cause_event_id AND c.district_id = l.district_id
 WHERE l.district_id = $1 AND l.student_id = $2 AND l.recipient = 'guardian'
   AND l.status <> 'suppressed' AND ($3::text IS NULL OR l.guardian_id = $3)
 ORDER BY l.at, l.notification_id
"""


class Message(BaseModel):
    notification_id: UUID
    guardian_id: str
    channel: str
    at: datetime = Field(description="When it reached its current status.")
    summary: str | None = Field(description="What it was about: the trigger, e.g. mastered.")
    template: str | None
    status: str = Field(description="'scheduled', 'sent', 'failed' or 'suppressed'.")
    reason: str | None = Field(description="Why not sent, or the scrubbed provider error.")
    language: str | None
    delivery: str | None = Field(description="SMS delivery report, if any.")


class MessagesSection(BaseModel):
    service: str = "notify-svc"
    messages: list[Message]


@router.get("/students/{student_id}/record-section", response_model=MessagesSection)
async def record_section(
    student_id: Annotated[str, Path(min_length=1)],
    who: ExportReader,
    request: Request,
    guardian_id: Annotated[
        str | None, Query(min_length=1, description="Only this guardian's messages.")
    ] = None,
) -> MessagesSection:
    """Messages sent to the student's family, oldest first, for the record export only."""
    runtime: Runtime = request.app.state.runtime
    rows = await runtime.pool.fetch(_SENT, who.district, student_id, guardian_id)
    await disclosure.log_read(
        request, who, student_id, section="messages", kind=NotifyRecordAccessed
    )
    return MessagesSection(
        messages=[
            Message(
                notification_id=r["notification_id"],
                guardian_id=r["guardian_id"],
                channel=r["channel"],
                at=r["at"],
                summary=r["cause"],
                template=r["template"],
                status=r["status"],
                reason=r["error"],
                language=r["language"],
                delivery=r["delivery"],
            )
            for r in rows
        ]
    )
