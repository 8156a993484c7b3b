"""path-svc's section of a student's full record (FERPA export): mastery and path history.

Read only by the export's own service token (``policy.decide_export_section``).
It answers what the ordinary reads answer (the current path, every replan with
its reason, mastery per competency), through those same reads, so each is
logged as a read made by that export. No path or no evidence yet is an empty
part, not a missing one.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel

from path_svc.api.paths import (
    HistoryOut,
    MasteryOut,
    PathOut,
    StudentId,
    get_history,
    get_mastery,
    get_path,
)
from pathwise_runtime import access
from pathwise_runtime.disclosure import ExportReader
from pathwise_runtime.policy import Act
from pathwise_runtime.problems import Problem
from pathwise_runtime.service import Runtime

router = APIRouter(prefix="/v1", tags=["records"])
T = TypeVar("T")


class PathSection(BaseModel):
    service: str = "path-svc"
    path: PathOut | None
    history: HistoryOut | None
    mastery: MasteryOut | None


async def _or_none(read: Awaitable[T]) -> T | None:
    try:
        return await read
    except Problem as problem:
        if problem.status == 404:
            return None
        raise


@router.get("/students/{student_id}/record-section", response_model=PathSection)
async def record_section(student_id: StudentId, who: ExportReader, request: Request) -> PathSection:
    """The student's path, its history with reasons and mastery, for the record export only."""
    runtime: Runtime = request.app.state.runtime
    async with runtime.pool.acquire() as conn:
        await access.authorize(conn, who, Act.READ, student_id)
    return PathSection(
        path=await _or_none(get_path(student_id, who, request)),
        history=await _or_none(get_history(student_id, who, request)),
        mastery=await _or_none(get_mastery(student_id, who, request)),
    )
