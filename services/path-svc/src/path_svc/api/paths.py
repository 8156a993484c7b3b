"""HTTP queries of path-svc: the framework, a student's path and mastery.

Reads only: everything path-svc knows comes from the log through its
projections (teachers' and students' commands are in ``steering``). Each read
of a student goes through the runtime's policy: an admin of the district, a
teacher of one of the student's sections, a guardian with educational rights.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field, TypeAdapter

from path_svc.api.district import framework_of
from path_svc.domain.grouping import MAX_SIZE, MIN_SIZE
from path_svc.domain.mastery import MASTERED
from path_svc.queries import sections
from pathwise_contracts import PathRecordAccessed, PathStep, SuggestedGroup
from pathwise_runtime import access, disclosure
from pathwise_runtime.auth import CurrentPrincipal, Principal
from pathwise_runtime.policy import Act
from pathwise_runtime.problems import Problem

READERS = ("teacher", "admin", "service", "guardian")
GROUPERS = ("teacher", "admin")
_STEPS = TypeAdapter(list[PathStep])
_CODES = TypeAdapter(list[str])
_ESTIMATES = TypeAdapter(dict[str, list[float]])

router = APIRouter(prefix="/v1", tags=["path"])
StudentId = Annotated[str, Path(min_length=1, max_length=128, description="The student's id.")]
SectionId = Annotated[str, Path(min_length=1, max_length=128, description="The section's id.")]


class CompetencyOut(BaseModel):
    code: str
    description: str = Field(description="In English.")
    descriptions: dict[str, str] = Field(
        default_factory=dict, description="In other languages, by BCP 47 tag."
    )
    prerequisites: list[str]


class FrameworkOut(BaseModel):
    name: str
    title: str
    titles: dict[str, str] = Field(default_factory=dict, description="In other languages.")
    mastery_threshold: float = Field(description="P(mastered) at which a competency counts.")
    competencies: list[CompetencyOut]


class PathOut(BaseModel):
    student_id: str
    version: int = Field(description="Incremented each time the path is replanned.")
    steps: list[PathStep]
    updated_at: datetime = Field(description="Time of the evidence that last changed the path.")


class ReplanOut(BaseModel):
    version: int
    steps: list[PathStep]
    added: list[str]
    removed: list[str]
    reason: str
    cause_event_id: UUID
    replanned_at: datetime


class HistoryOut(BaseModel):
    student_id: str
    replans: list[ReplanOut] = Field(description="Newest first.")


class EstimateOut(BaseModel):
    competency_id: str
    p_mastery: float = Field(description="Estimated probability the competency is mastered.")
    attempts: int
    mastered: bool = Field(description="Whether the estimate has ever reached the threshold.")
    mastered_at: datetime | None = Field(
        default=None, description="Time of the evidence with which it was first mastered."
    )
    updated_at: datetime


class MasteryOut(BaseModel):
    student_id: str
    competencies: list[EstimateOut]


@router.get("/framework")
async def get_framework(who: CurrentPrincipal, request: Request) -> FrameworkOut:
    """The competency graph the caller's district plans over."""
    framework = await framework_of(request, who.district)
    return FrameworkOut(
        name=framework.name,
        title=framework.title,
        titles=framework.titles,
        mastery_threshold=MASTERED,
        competencies=[
            CompetencyOut(
                code=c.code,
                description=c.description,
                descriptions=dict(c.descriptions),
                prerequisites=list(c.prerequisites),
            )
            for c in framework.competencies
        ],
    )


@router.get("/students/{student_id}/path")
async def get_path(student_id: StudentId, who: CurrentPrincipal, request: Request) -> PathOut:
    """The student's current learning path."""
    async with _pool(request).acquire() as conn:
        await _authorize(conn, who, student_id)
        row = await conn.fetchrow(
            """SELECT version, steps::text AS steps, updated_at FROM paths
                WHERE student_id = $1 AND district_id = $2""",
            student_id,
            who.district,
        )
    if row is None:
        raise Problem(404, f"no learning path for student {student_id!r} in your district")
    await disclosure.log_read(request, who, student_id, section="path", kind=PathRecordAccessed)
    return PathOut(
        student_id=student_id,
        version=row["version"],
        steps=_STEPS.validate_json(row["steps"]),
        updated_at=row["updated_at"],
    )


@router.get("/students/{student_id}/path/history")
async def get_history(student_id: StudentId, who: CurrentPrincipal, request: Request) -> HistoryOut:
    """Every version of the student's path, with why it changed."""
    async with _pool(request).acquire() as conn:
        await _authorize(conn, who, student_id)
        rows = await conn.fetch(
            """SELECT h.version, h.steps::text AS steps, h.added::text AS added,
                      h.removed::text AS removed, h.reason, h.cause_event_id, h.replanned_at
                 FROM path_history h JOIN paths p USING (district_id, student_id)
                WHERE h.student_id = $1 AND p.district_id = $2
                ORDER BY h.version DESC""",
            student_id,
            who.district,
        )
    if not rows:
        raise Problem(404, f"no learning path for student {student_id!r} in your district")
    await disclosure.log_read(
        request, who, student_id, section="path-history", kind=PathRecordAccessed
    )
    return HistoryOut(
        student_id=student_id,
        replans=[
            ReplanOut(
                version=r["version"],
                steps=_STEPS.validate_json(r["steps"]),
                added=_CODES.validate_json(r["added"]),
                removed=_CODES.validate_json(r["removed"]),
                reason=r["reason"],
                cause_event_id=r["cause_event_id"],
                replanned_at=r["replanned_at"],
            )
            for r in rows
        ],
    )


@router.get("/students/{student_id}/mastery")
async def get_mastery(student_id: StudentId, who: CurrentPrincipal, request: Request) -> MasteryOut:
    """The student's mastery estimate on every competency with evidence."""
    async with _pool(request).acquire() as conn:
        await _authorize(conn, who, student_id)
        rows = await conn.fetch(
            """SELECT competency_id, p_mastery, attempts, mastered, mastered_at, updated_at
                 FROM mastery
                WHERE student_id = $1 AND district_id = $2 ORDER BY competency_id""",
            student_id,
            who.district,
        )
    if not rows:
        raise Problem(404, f"no mastery evidence for student {student_id!r} in your district")
    await disclosure.log_read(request, who, student_id, section="mastery", kind=PathRecordAccessed)
    return MasteryOut(student_id=student_id, competencies=[EstimateOut(**dict(r)) for r in rows])


class GroupsOut(BaseModel):
    section_id: str
    groups: list[SuggestedGroup] = Field(
        description=f"Groups of {MIN_SIZE} to {MAX_SIZE} students sharing their next step."
    )


@router.get("/sections/{section_id}/groups")
async def get_groups(section_id: SectionId, who: CurrentPrincipal, request: Request) -> GroupsOut:
    """Small groups for a section: students whose next step is the same competency in a
    group modality their plan allows, computed from the current paths."""
    if who.role not in GROUPERS:
        raise Problem(
            403, f"role '{who.role}' may not read section groups; needs one of {list(GROUPERS)}"
        )
    async with _pool(request).acquire() as conn:
        teacher = who.subject if who.role == "teacher" else None  # only students they teach
        suggested = await sections.groups(conn, who.district, section_id, teacher)
    return GroupsOut(section_id=section_id, groups=suggested)


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.runtime.pool
    return pool


async def _authorize(conn: asyncpg.Connection, who: Principal, student_id: str) -> None:
    """Admit readers by role, then by the runtime's policy on this student."""
    if who.role not in READERS:
        raise Problem(
            403, f"role '{who.role}' may not read learning paths; needs one of {list(READERS)}"
        )
    await access.authorize(conn, who, Act.READ, student_id)
