"""Goals and interests edited from the portal, through profile-svc's own commands.

Who may edit is profile-svc's decision (teachers of the student's sections,
guardians with educational rights, the student themself); the portal only
shows the form on those pages and sends the version it read as ``If-Match``,
so an edit made on a stale page is refused (412) instead of overwriting a
newer one.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

AGREED_BY = {"student": "student", "teacher": "teacher", "admin": "teacher", "guardian": "guardian"}
"""Whose agreement an edit records, by the editor's role (profile-svc's ``agreed_by``)."""
GOAL_STATUSES = ("active", "achieved", "dropped")
_TAG = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,79}$")
MAX_INTERESTS = 50
READ_YOUR_WRITES_S = 5.0


@dataclass(frozen=True, slots=True)
class Invalid(Exception):
    """A form field profile-svc would refuse; ``field`` names it for the page."""

    field: str
    detail: str


def interest_tags(text: str) -> list[str]:
    """Comma-separated interests as profile-svc's tags: lower case, spaces as ``_``, no repeats."""
    tags: list[str] = []
    for part in text.split(","):
        tag = re.sub(r"\s+", "_", part.strip().lower())
        if not tag:
            continue
        if not _TAG.match(tag):
            raise Invalid("interests", f"interests: {part.strip()!r} is not a short word or tag")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_INTERESTS:
        raise Invalid("interests", f"interests: at most {MAX_INTERESTS}")
    return tags


def if_match(version: str) -> dict[str, str]:
    """The If-Match header for the version the page was rendered from (none if unknown)."""
    return {"If-Match": f'"{version}"'} if version.strip().isdigit() else {}


def new_goal(
    editor_role: str, competency_id: str, target_date: str, note: str
) -> tuple[str, dict[str, Any]]:
    """A new goal's id and body: one competency, agreed by the editor."""
    code = competency_id.strip().lower()
    if not _TAG.match(code):
        raise Invalid("competency_id", "competency_id: choose a competency")
    body: dict[str, Any] = {
        "competency_ids": [code],
        "status": "active",
        "agreed_by": [AGREED_BY[editor_role]],
    }
    if target_date.strip():
        try:
            body["target_date"] = date.fromisoformat(target_date.strip()).isoformat()
        except ValueError as error:
            raise Invalid("target_date", "target_date: a date like 2027-05-31") from error
    if note.strip():
        body["note"] = note.strip()
    return f"goal-{uuid.uuid4().hex[:12]}", body


def goal_status_change(editor_role: str, goal: dict[str, Any], status: str) -> dict[str, Any]:
    """The full goal again (profile-svc replaces it) with the new status and the editor agreeing."""
    if status not in GOAL_STATUSES:
        raise Invalid("status", f"status: one of {list(GOAL_STATUSES)}")
    body: dict[str, Any] = {
        "competency_ids": goal["competency_ids"],
        "status": status,
        "agreed_by": sorted({*goal.get("agreed_by", []), AGREED_BY[editor_role]}),
    }
    if goal.get("target_date"):
        body["target_date"] = goal["target_date"]
    if goal.get("note"):
        body["note"] = goal["note"]
    return body


async def until_version(read: Any, version: int) -> None:
    """Wait briefly until profile-svc's read side shows our write (it projects from the log),
    so the page after saving shows the change."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READ_YOUR_WRITES_S
    while loop.time() < deadline:
        if int((await read()).get("version", 0)) >= version:
            return
        await asyncio.sleep(0.1)
