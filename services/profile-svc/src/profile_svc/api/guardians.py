"""HTTP commands on a student's guardians: contact preferences, consent, erasure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel

from pathwise_contracts import Event
from pathwise_runtime.auth import CurrentPrincipal
from pathwise_runtime.problems import Problem
from profile_svc.adapters.personal import Vault
from profile_svc.api.stream_http import Accepted, allowed, execute, personal, run, runtime
from profile_svc.commands import streams, viewers
from profile_svc.domain.access import StudentFacts, Viewer, is_guardian, sees
from profile_svc.domain.contact import ConsentDecision, ContactPreferences
from profile_svc.domain.stream import GuardianState
from profile_svc.queries import profiles as queries

router = APIRouter(prefix="/v1/students/{student_id}/guardians/{guardian_id}", tags=["guardians"])

IfMatch = Annotated[str | None, Header(description="The ETag you read; stale gives 412.")]


def _themself_or_staff(guardian_id: str) -> streams.May:
    """The guardian themself (with or without educational rights), or admin / service."""
    staff = allowed("admin", "service")

    def may(viewer: Viewer, facts: StudentFacts) -> bool:
        if viewer.role == "guardian":
            return viewer.subject == guardian_id and is_guardian(viewer, facts)
        return staff(viewer, facts)

    return may


def _guardian(stream: streams.Stream, guardian_id: str) -> GuardianState:
    found = stream.state.guardians.get(guardian_id)
    if found is None:
        raise Problem(404, f"no guardian {guardian_id!r} linked to {stream.student_id!r}")
    return found


@router.put("/contact", response_model=Accepted)
async def set_contact(
    student_id: str,
    guardian_id: str,
    body: ContactPreferences,
    who: CurrentPrincipal,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> Accepted:
    """Channels, language, time zone, quiet hours and per-channel frequency (full new state)."""

    def decide(stream: streams.Stream, version: int, vault: Vault) -> Sequence[Event]:
        after = body.applied(_guardian(stream, guardian_id), guardian_id, vault.seal_guardian)
        return [after.preferences(student_id, guardian_id, version)]

    return await run(
        request,
        response,
        who,
        student_id,
        if_match=if_match,
        may=_themself_or_staff(guardian_id),
        decide=decide,
        guardians=[guardian_id],
    )


@router.post("/consent", response_model=Accepted)
async def change_consent(
    student_id: str,
    guardian_id: str,
    body: ConsentDecision,
    who: CurrentPrincipal,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> Accepted:
    """Consent given or withdrawn on one channel, with its source and time (opt-out history)."""
    decision = body.with_time(datetime.now(UTC))

    def decide(stream: streams.Stream, version: int, _: Vault) -> Sequence[Event]:
        return decision.events(_guardian(stream, guardian_id), student_id, guardian_id, version)

    return await run(
        request,
        response,
        who,
        student_id,
        if_match=if_match,
        may=_themself_or_staff(guardian_id),
        decide=decide,
    )


class ConsentRecord(BaseModel):
    channel: str
    granted: bool
    source: str
    given_at: datetime
    recorded_at: datetime


@router.get("/consent-history", response_model=list[ConsentRecord])
async def consent_history(
    student_id: str, guardian_id: str, who: CurrentPrincipal, request: Request
) -> list[ConsentRecord]:
    """Every consent and opt-out of this guardian, oldest first."""
    async with runtime(request).pool.acquire() as conn:
        viewer = await viewers.viewer(conn, who)
        facts = await queries.facts(conn, viewer.district, student_id)
        own = facts is not None and viewer.subject == guardian_id and is_guardian(viewer, facts)
        staff = facts is not None and viewer.role != "guardian" and sees(viewer, facts)
        if not (own or staff):
            raise Problem(404, f"no student {student_id!r} in your district")
        rows = await conn.fetch(
            """SELECT channel, granted, source, given_at, recorded_at FROM consent_history
                WHERE district_id = $1 AND student_id = $2 AND guardian_id = $3
                ORDER BY given_at, recorded_at""",
            viewer.district,
            student_id,
            guardian_id,
        )
    return [ConsentRecord(**dict(r)) for r in rows]


@router.delete("", status_code=204)
async def erase_guardian(
    student_id: str,
    guardian_id: str,
    who: CurrentPrincipal,
    request: Request,
    response: Response,
) -> Response:
    """Erase the guardian as a person: destroy their key, drop every link (``SubjectErased``).

    One key seals the guardian's contact details on every student they are
    linked to, so erasing them through one student erases all their links in
    the district (one ``SubjectErased`` of kind guardian per student): a link
    whose contact nobody can read any more would only be a dangling row.
    ``If-Match`` applies to the student named in the path.
    """
    rt = runtime(request)

    async def command(viewer: Viewer, expected: int | None) -> int:
        return await streams.erase_guardian(
            rt.pool,
            student_id,
            guardian_id,
            viewer=viewer,
            may=allowed("admin"),
            expected=expected,
            personal=personal(request),
            source=rt.source,
        )

    await execute(
        request,
        response,
        who,
        student_id,
        if_match=request.headers.get("if-match"),
        command=command,
    )
    return Response(status_code=204)
