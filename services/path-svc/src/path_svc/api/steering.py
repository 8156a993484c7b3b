"""Teachers steer paths and students choose how to learn: ``StepOverridden`` and ``StepChosen``.

Both are commands that become facts on ``path.events.v1`` through the outbox;
the ``planning`` projection applies them in log order with everything else,
so an override survives every later replan until it is lifted, and a replay
reaches the same paths. The teacher's note is personal free text: it travels
only encrypted with the student's key.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field, TypeAdapter

from path_svc.api.district import framework_of
from path_svc.projections.erasure import NOTES
from pathwise_contracts import (
    Envelope,
    Event,
    Modality,
    PathStep,
    StepChosen,
    StepOverridden,
    derive_event_id,
)
from pathwise_runtime import access, keystore, outbox
from pathwise_runtime.auth import Principal, Teacher, require_role
from pathwise_runtime.policy import Act
from pathwise_runtime.problems import Problem

router = APIRouter(prefix="/v1", tags=["steering"])
Chooser = Annotated[Principal, require_role("student", "teacher", "admin")]
StudentId = Annotated[str, Path(min_length=1, max_length=128, description="The student's id.")]
Code = Annotated[str, Path(min_length=1, max_length=64, description="A competency code.")]
_STEPS = TypeAdapter(list[PathStep])


class OverrideIn(BaseModel):
    action: Literal["pin", "skip", "move", "modality"] = Field(
        description="pin: keep on the path; skip: keep off it; move: put at ``position``; "
        "modality: teach it as ``modality``."
    )
    competency_id: str = Field(min_length=1, max_length=64)
    position: int | None = Field(default=None, ge=0, le=20, description="For move (0-based).")
    modality: Modality | None = Field(default=None, description="For modality.")
    note: str | None = Field(default=None, max_length=2000, description="Why; stored encrypted.")


class OverrideOut(BaseModel):
    override_id: uuid.UUID
    action: str
    competency_id: str
    status: Literal["accepted"] = "accepted"


class ChoiceIn(BaseModel):
    modality: Modality = Field(description="One of the step's offered options.")


@router.post("/students/{student_id}/path/overrides", status_code=202)
async def override(
    student_id: StudentId, body: OverrideIn, who: Teacher, request: Request
) -> OverrideOut:
    """Pin, skip, move or set the modality of a step; it lasts until lifted."""
    if body.competency_id not in await framework_of(request, who.district):
        raise Problem(
            422,
            f"competency_id: {body.competency_id!r} is not in the framework",
            errors=[{"pointer": "/competency_id", "detail": "unknown competency"}],
        )
    for needed, field in (("move", "position"), ("modality", "modality")):
        if body.action == needed and getattr(body, field) is None:
            raise Problem(
                422,
                f"{field}: required when action is '{needed}'",
                errors=[{"pointer": f"/{field}", "detail": "required"}],
            )
    override_id = uuid.uuid4()
    event = StepOverridden(
        student_id=student_id,
        override_id=override_id,
        action=body.action,
        competency_id=body.competency_id,
        position=body.position if body.action == "move" else None,
        modality=body.modality if body.action == "modality" else None,
        teacher_id=who.subject,
    )
    await _append(request, event, override_id, who, note=body.note)
    return OverrideOut(
        override_id=override_id, action=body.action, competency_id=body.competency_id
    )


@router.delete("/students/{student_id}/path/overrides/{override_id}", status_code=202)
async def lift(
    student_id: StudentId, override_id: uuid.UUID, who: Teacher, request: Request
) -> OverrideOut:
    """End an override; the path is replanned without it."""
    async with _pool(request).acquire() as conn:
        state = await conn.fetchval(
            """SELECT state -> 'overrides' -> $2::text FROM planners
                WHERE student_id = $1 AND district_id = $3""",
            student_id,
            str(override_id),
            who.district,
        )
    if state is None:
        raise Problem(404, f"no active override {override_id} for student {student_id!r}")
    competency = TypeAdapter(dict[str, Any]).validate_json(state)["competency_id"]
    event = StepOverridden(
        student_id=student_id,
        override_id=uuid.uuid4(),
        action="lift",
        competency_id=competency,
        lifts=override_id,
        teacher_id=who.subject,
    )
    await _append(request, event, event.override_id, who)
    return OverrideOut(override_id=override_id, action="lift", competency_id=competency)


@router.post("/students/{student_id}/path/steps/{competency_id}/choice", status_code=202)
async def choose(
    student_id: StudentId, competency_id: Code, body: ChoiceIn, who: Chooser, request: Request
) -> dict[str, str]:
    """The student picks one of a step's options (voice and choice)."""
    async with _pool(request).acquire() as conn:
        await access.authorize(conn, who, Act.STEER, student_id)
        steps = await conn.fetchval(
            "SELECT steps::text FROM paths WHERE student_id = $1 AND district_id = $2",
            student_id,
            who.district,
        )
    if steps is None:
        raise Problem(404, f"no learning path for student {student_id!r} in your district")
    step = next((s for s in _STEPS.validate_json(steps) if s.competency_id == competency_id), None)
    if step is None:
        raise Problem(404, f"{competency_id!r} is not a step of the student's path")
    if body.modality not in step.options:
        raise Problem(
            422,
            f"modality: {body.modality.value!r} is not offered; options are "
            f"{[m.value for m in step.options]}",
            errors=[{"pointer": "/modality", "detail": "not one of the step's options"}],
        )
    event = StepChosen(student_id=student_id, competency_id=competency_id, modality=body.modality)
    await _append(request, event, uuid.uuid4(), who)
    return {"competency_id": competency_id, "modality": body.modality.value, "status": "accepted"}


async def _append(
    request: Request, event: Event, key: uuid.UUID, who: Principal, *, note: str | None = None
) -> None:
    """Authorise, seal the teacher's note with the student's erasable key, append."""
    runtime = request.app.state.runtime
    async with _pool(request).acquire() as conn, conn.transaction():
        await access.authorize(conn, who, Act.STEER, event.student_id)
        if note:
            subject = (NOTES, event.student_id)
            keys = await keystore.of(runtime).keys_for(conn, who.district, [subject])
            event = event.model_copy(update={"note": keys.seal(subject, note)})
        envelope = Envelope.wrap(
            event,
            id=derive_event_id("steering", str(key)),
            source=runtime.source,
            district_id=who.district,
            time=datetime.now(UTC),
        )
        await outbox.add_events(conn, [envelope])


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.runtime.pool
    return pool
