"""Queries: the delivery log per student and per guardian, and its records-request export.

Answers come from ``delivery_log`` (rebuilt from notify-svc's own topic), so
"did the family hear about it, and why not?" has the same answer after a replay.
A guardian reads only what was addressed to them; staff read their district.
The export is the same log in full, as CSV (or JSON), for records requests
(a family's right to inspect what the school sent them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from pathwise_contracts import NotifyRecordAccessed
from pathwise_runtime import disclosure
from pathwise_runtime.auth import Principal, require_role
from pathwise_runtime.exports import attachment
from pathwise_runtime.problems import Problem
from pathwise_runtime.rows import from_row

router = APIRouter(prefix="/v1", tags=["notifications"])

Reader = Annotated[Principal, require_role("teacher", "admin", "service", "guardian")]
# Records of what a family was sent: the family itself, or the district's staff who answer
# records requests.
RecordsReader = Annotated[Principal, require_role("admin", "service", "guardian")]
Format = Annotated[Literal["csv", "json"], Query(description="'csv' (default) or 'json'.")]

# The log, with the trigger and language from NotificationScheduled; entries logged
# before that event existed take them from the planning tables.
_LOG = """
    SELECT l.notification_id, l.student_id, l.guardian_id, l.recipient, l.channel,
           l.cause_event_id,
           coalesce(l.cause, c.kind) AS cause, coalesce(l.language, g.language) AS language,
           l.status, l.final, l.template, l.attempt, l.error, l.provider_status, l.delivery,
           l.at
      FROM delivery_log l
      LEFT JOIN causes c ON c.cause_event_id = l.cause_event_id AND c.district_id = l.district_id
      LEFT JOIN guardians g ON g.district_id = l.district_id AND g.student_id = l.student_id
                           AND g.guardian_id = l.guardian_id
     WHERE l.district_id = $1 AND ($2::text IS NULL OR l.student_id = $2)
       AND ($3::text IS NULL OR (l.guardian_id = $3 AND l.recipient = 'guardian'))
     ORDER BY l.at DESC, l.notification_id
"""

EXPORT_COLUMNS = (
    "notification_id",
    "student_id",
    "guardian_id",
    "recipient",
    "cause",
    "cause_event_id",
    "channel",
    "language",
    "status",
    "final",
    "reason",
    "template",
    "attempt",
    "provider_status",
    "delivery",
    "updated_at",
)


class Delivery(BaseModel):
    """One notification's latest outcome."""

    notification_id: UUID
    guardian_id: str = Field(description="Who was addressed (see recipient).")
    recipient: str = Field("guardian", description="'guardian', or 'teacher' for staff alerts.")
    channel: str
    cause_event_id: UUID
    status: str = Field(description="'scheduled', 'sent', 'failed' or 'suppressed'.")
    final: bool = Field(description="False while a failed notification will be retried.")
    template: str | None
    attempt: int | None
    error: str | None = Field(description="Scrubbed provider error or suppression reason.")
    at: datetime
    cause: str | None = Field(None, description="The trigger (rules.json), e.g. support_needed.")
    language: str | None = Field(None, description="Language tag the guardian asked for.")
    provider_status: str | None = Field(None, description="The SMS provider's last report.")


class StudentNotifications(BaseModel):
    student_id: str
    notifications: list[Delivery]


class GuardianNotification(BaseModel):
    """One notification addressed to a guardian, as the family portal shows it."""

    notification_id: UUID
    student_id: str
    cause: str | None = Field(description="The trigger (rules.json), e.g. competency_mastered.")
    channel: str
    status: str = Field(description="'scheduled', 'sent', 'failed' or 'suppressed'.")
    reason: str | None = Field(
        description="Why not sent (e.g. opted_out, quiet_hours) or the scrubbed error."
    )
    language: str | None
    updated_at: datetime
    final: bool = Field(description="False while it will still be sent or retried.")
    delivery: str | None = Field(
        description="SMS delivery report: 'delivered', 'not_delivered', 'pending' or none."
    )


class GuardianNotifications(BaseModel):
    guardian_id: str
    notifications: list[GuardianNotification]


async def _log(
    pool: asyncpg.Pool, district: str, *, student: str | None, guardian: str | None
) -> list[asyncpg.Record]:
    return list(await pool.fetch(_LOG, district, student, guardian))


async def _logged(
    request: Request, who: Principal, rows: list[asyncpg.Record], student_id: str | None = None
) -> None:
    """The access log entry of each student whose messages were just shown."""
    students = sorted({r["student_id"] for r in rows} | ({student_id} if student_id else set()))
    await disclosure.log_read(request, who, students, section="messages", kind=NotifyRecordAccessed)


def _own_guardian(who: Principal, guardian_id: str) -> None:
    """A guardian reads only their own log; someone else's is 'not found', not 'forbidden'."""
    if who.role == "guardian" and who.subject != guardian_id:
        raise Problem(404, f"guardian_id: no notifications for guardian {guardian_id!r}")


@router.get("/students/{student_id}/notifications", response_model=StudentNotifications)
async def student_notifications(
    request: Request, who: Reader, student_id: Annotated[str, Path(min_length=1)]
) -> StudentNotifications:
    """Newest first, in the caller's district; a guardian sees only what was sent to them."""
    guardian = who.subject if who.role == "guardian" else None
    rows = await _log(
        request.app.state.runtime.pool, who.district, student=student_id, guardian=guardian
    )
    await _logged(request, who, rows, student_id)
    return StudentNotifications(
        student_id=student_id,
        notifications=[from_row(Delivery, r) for r in rows],
    )


@router.get("/guardians/{guardian_id}/notifications", response_model=GuardianNotifications)
async def guardian_notifications(
    request: Request, who: RecordsReader, guardian_id: Annotated[str, Path(min_length=1)]
) -> GuardianNotifications:
    """Everything addressed to one guardian, about any of their students, newest first."""
    _own_guardian(who, guardian_id)
    rows = await _log(
        request.app.state.runtime.pool, who.district, student=None, guardian=guardian_id
    )
    await _logged(request, who, rows)
    return GuardianNotifications(
        guardian_id=guardian_id,
        notifications=[
            from_row(GuardianNotification, r, reason=r["error"], updated_at=r["at"]) for r in rows
        ],
    )


@router.get("/guardians/{guardian_id}/notifications/export")
async def guardian_export(
    request: Request,
    who: RecordsReader,
    guardian_id: Annotated[str, Path(min_length=1)],
    format: Format = "csv",
) -> Response:
    """A records request: the guardian's whole delivery log, with status and reason."""
    _own_guardian(who, guardian_id)
    rows = await _log(
        request.app.state.runtime.pool, who.district, student=None, guardian=guardian_id
    )
    await _logged(request, who, rows)
    return _export(rows, format, f"notifications-guardian-{guardian_id}")


@router.get("/students/{student_id}/notifications/export")
async def student_export(
    request: Request,
    who: RecordsReader,
    student_id: Annotated[str, Path(min_length=1)],
    format: Format = "csv",
) -> Response:
    """A records request about a student: every guardian's log (a guardian: their own)."""
    guardian = who.subject if who.role == "guardian" else None
    rows = await _log(
        request.app.state.runtime.pool, who.district, student=student_id, guardian=guardian
    )
    await _logged(request, who, rows, student_id)
    return _export(rows, format, f"notifications-student-{student_id}")


def _record(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "notification_id": str(row["notification_id"]),
        "student_id": row["student_id"],
        "guardian_id": row["guardian_id"],
        "recipient": row["recipient"],
        "cause": row["cause"],
        "cause_event_id": str(row["cause_event_id"]),
        "channel": row["channel"],
        "language": row["language"],
        "status": row["status"],
        "final": row["final"],
        "reason": row["error"],
        "template": row["template"],
        "attempt": row["attempt"],
        "provider_status": row["provider_status"],
        "delivery": row["delivery"],
        "updated_at": row["at"].isoformat(),
    }


def _export(rows: list[asyncpg.Record], format: str, name: str) -> Response:
    records = [_record(r) for r in rows]
    return attachment(records, EXPORT_COLUMNS, format, name, key="notifications")
