"""Reads the portal needs at a glance: a section's roster, its open support alerts, my path.

A teacher's page shows a whole section at once; asking for each student's
path in turn would be one request per student, so these answer from the
``planners`` projection in one query per section. path-svc does not know who
teaches which section, but it knows each student's teachers (the runtime's
``access`` projection): a teacher sees the section's students they teach,
an admin or a service all of them. A student reads
only their own path here (``/students/{id}/path`` is for the adults around
them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field, TypeAdapter

from path_svc.api.paths import PathOut
from path_svc.domain.mastery import level
from pathwise_contracts import MasteryLevel, PathRecordAccessed, PathStep
from pathwise_runtime import access, disclosure
from pathwise_runtime.auth import CurrentPrincipal, Principal, Staff, require_role
from pathwise_runtime.policy import Act
from pathwise_runtime.problems import Problem

router = APIRouter(prefix="/v1", tags=["portal"])
SectionId = Annotated[str, Path(min_length=1, max_length=128, description="The section's id.")]
_STATE = TypeAdapter(dict[str, Any])
_STEPS = TypeAdapter(list[PathStep])


class OpenAlert(BaseModel):
    student_id: str
    competency_id: str
    reason: str = Field(description="stalled, declining or inactive.")
    episode: int
    opened_at: datetime | None = Field(
        description="Event time the alert opened (null for alerts opened before it was kept)."
    )


class RosterRow(BaseModel):
    student_id: str
    path_version: int
    step: PathStep | None = Field(description="The current (first) step of the path.")
    step_level: MasteryLevel = Field(description="Mastery level on the current step.")
    mastered: int = Field(description="Competencies estimated as mastered.")
    with_evidence: int = Field(description="Competencies with any evidence.")
    support: list[OpenAlert]


class RosterOut(BaseModel):
    section_id: str
    students: list[RosterRow]


class SupportOut(BaseModel):
    section_id: str
    alerts: list[OpenAlert] = Field(description="Open alerts, the longest waiting first.")


async def _planners(request: Request, who: Principal, section: str) -> list[asyncpg.Record]:
    """The section's students the caller may read: for a teacher, those they teach."""
    pool: asyncpg.Pool = request.app.state.runtime.pool
    rows: list[asyncpg.Record] = await pool.fetch(
        """SELECT p.student_id, p.state::text AS state FROM planners p
            WHERE p.district_id = $1 AND p.state->'profile'->'sections' ? $2
              AND ($3::text IS NULL OR EXISTS (
                   SELECT 1 FROM student_access a
                    WHERE a.district_id = p.district_id AND a.student_id = p.student_id
                      AND $3 = ANY(a.teacher_ids)))
            ORDER BY p.student_id""",
        who.district,
        section,
        who.subject if who.role == "teacher" else None,
    )
    return rows


def _alerts(student: str, state: dict[str, Any]) -> list[OpenAlert]:
    out = []
    for code, watch in sorted(state.get("support", {}).items()):
        if watch.get("open"):
            opened = watch.get("opened")
            out.append(
                OpenAlert(
                    student_id=student,
                    competency_id=code,
                    reason=watch["open"],
                    episode=int(watch.get("episode", 1)),
                    opened_at=datetime.fromisoformat(opened) if opened else None,
                )
            )
    return out


def roster_row(student: str, state: dict[str, Any]) -> RosterRow:
    """One student's line on the roster, from their planner state."""
    steps = _STEPS.validate_python(state.get("steps", []))
    estimates: dict[str, list[float]] = state.get("estimates", {})
    first = steps[0] if steps else None
    p, attempts = estimates.get(first.competency_id, [0.0, 0]) if first else (0.0, 0)
    return RosterRow(
        student_id=student,
        path_version=int(state.get("version", 0)),
        step=first,
        step_level=level(float(p), int(attempts)),
        mastered=sum(1 for p, n in estimates.values() if level(p, int(n)) == "mastered"),
        with_evidence=sum(1 for _, n in estimates.values() if n > 0),
        support=_alerts(student, state),
    )


def longest_waiting(alerts: list[OpenAlert]) -> list[OpenAlert]:
    """Oldest first; alerts without a known opening time last, then by student."""
    return sorted(
        alerts,
        key=lambda a: (a.opened_at is None, a.opened_at or datetime.max, a.student_id),
    )


async def _shown(
    request: Request, who: Principal, rows: list[asyncpg.Record], section: str
) -> None:
    """An access log entry for each student a section view showed."""
    students = [r["student_id"] for r in rows]
    await disclosure.log_read(request, who, students, section=section, kind=PathRecordAccessed)


@router.get("/sections/{section_id}/roster")
async def section_roster(section_id: SectionId, who: Staff, request: Request) -> RosterOut:
    """Each student of the section: current step, its modality and level, mastery counts."""
    rows = await _planners(request, who, section_id)
    await _shown(request, who, rows, "section-roster")
    return RosterOut(
        section_id=section_id,
        students=[roster_row(r["student_id"], _STATE.validate_json(r["state"])) for r in rows],
    )


@router.get("/sections/{section_id}/support")
async def section_support(section_id: SectionId, who: Staff, request: Request) -> SupportOut:
    """Who needs support now in the section (open ``SupportNeeded``), oldest first."""
    rows = await _planners(request, who, section_id)
    await _shown(request, who, rows, "section-support")
    alerts = [a for r in rows for a in _alerts(r["student_id"], _STATE.validate_json(r["state"]))]
    return SupportOut(section_id=section_id, alerts=longest_waiting(alerts))


@router.get("/me/path")
async def my_path(who: CurrentPrincipal, request: Request) -> PathOut:
    """A student's own current path (with each step's offered options)."""
    if who.role != "student":
        raise Problem(403, f"role '{who.role}' has no path of its own; this is for students")
    pool: asyncpg.Pool = request.app.state.runtime.pool
    row = await pool.fetchrow(
        """SELECT version, steps::text AS steps, updated_at FROM paths
            WHERE student_id = $1 AND district_id = $2""",
        who.subject,
        who.district,
    )
    if row is None:
        raise Problem(404, "no learning path for you yet")
    await disclosure.log_read(request, who, who.subject, section="path", kind=PathRecordAccessed)
    return PathOut(
        student_id=who.subject,
        version=row["version"],
        steps=_STEPS.validate_json(row["steps"]),
        updated_at=row["updated_at"],
    )


class ActiveOverride(BaseModel):
    override_id: str
    action: str = Field(description="pin, skip, move or modality.")
    competency_id: str
    position: int | None = Field(description="0-based position, for move.")
    modality: str | None = Field(description="The modality set, for modality.")


class OverridesOut(BaseModel):
    student_id: str
    overrides: list[ActiveOverride] = Field(description="In force until lifted.")


@router.get("/students/{student_id}/path/overrides")
async def active_overrides(
    student_id: Annotated[str, Path(min_length=1, max_length=128)],
    who: Annotated[Principal, require_role("teacher", "admin")],
    request: Request,
) -> OverridesOut:
    """The teacher overrides in force on the student's path (``DELETE`` one to lift it)."""
    pool: asyncpg.Pool = request.app.state.runtime.pool
    async with pool.acquire() as conn:
        await access.authorize(conn, who, Act.READ, student_id)
        raw = await conn.fetchval(
            """SELECT state -> 'overrides' FROM planners
                WHERE student_id = $1 AND district_id = $2""",
            student_id,
            who.district,
        )
    if raw is None:
        raise Problem(404, f"no learning path for student {student_id!r} in your district")
    found: dict[str, Any] = _STATE.validate_json(raw)
    await disclosure.log_read(
        request, who, student_id, section="overrides", kind=PathRecordAccessed
    )
    return OverridesOut(
        student_id=student_id,
        overrides=[
            ActiveOverride(
                override_id=key,
                action=o["action"],
                competency_id=o["competency_id"],
                position=o.get("position"),
                modality=o.get("modality"),
            )
            for key, o in sorted(found.items(), key=lambda kv: kv[1]["competency_id"])
        ],
    )
