"""HTTP commands on the learner profile; each answers with the stream's new ETag."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, Response

from pathwise_contracts import Event, ProfileEvent
from pathwise_runtime.auth import CurrentPrincipal, Principal
from pathwise_runtime.problems import Problem
from profile_svc.adapters.personal import Vault
from profile_svc.api.stream_http import Accepted, allowed, run
from profile_svc.commands import streams
from profile_svc.domain.access import StudentFacts, Viewer
from profile_svc.domain.learner import (
    Accommodations,
    Goal,
    Interests,
    ModalityPreferences,
    Reflection,
    Seal,
    StrengthsAndNeeds,
    Withdrawal,
)

router = APIRouter(prefix="/v1/students/{student_id}", tags=["learner profile"])

IfMatch = Annotated[str | None, Header(description="The ETag you read; stale gives 412.")]
STAFF = ("teacher", "admin", "service")
FAMILY_EDITS = (*STAFF, "guardian")
"""Goals and interests: staff, the student, and guardians who may see the student
(``sees``: linked with educational rights), as families set goals with the school."""

PARTIES = ("student", "teacher", "guardian")
"""The roles a goal's ``agreed_by`` names."""

Build = Callable[[str, int, Seal], ProfileEvent]


@dataclass(frozen=True)
class Command:
    """What every profile command needs from the request besides its body."""

    request: Request
    response: Response
    who: Principal
    if_match: str | None

    async def run(self, student_id: str, *, may: streams.May, decide: streams.Decide) -> Accepted:
        return await run(
            self.request,
            self.response,
            self.who,
            student_id,
            if_match=self.if_match,
            may=may,
            decide=decide,
        )


async def _command(
    request: Request, response: Response, who: CurrentPrincipal, if_match: IfMatch = None
) -> Command:
    return Command(request, response, who, if_match)


CommandCall = Annotated[Command, Depends(_command)]


def _decide(build: Build, *, open_only: bool = True) -> streams.Decide:
    def decide(stream: streams.Stream, version: int, vault: Vault) -> Sequence[Event]:
        if open_only and stream.state.status != "enrolled":
            raise Problem(409, f"student {stream.student_id!r} is {stream.state.status}")
        return [build(stream.student_id, version, vault.seal_student)]

    return decide


def _self_or(*roles: str) -> streams.May:
    """The student themself, or one of ``roles`` who can see the student."""
    staff = allowed(*roles)

    def may(viewer: Viewer, facts: StudentFacts) -> bool:
        if viewer.role == "student" and viewer.subject == facts.student_id:
            return viewer.district == facts.district
        return staff(viewer, facts)

    return may


@router.post("/withdrawal", response_model=Accepted)
async def withdraw(
    student_id: str,
    body: Withdrawal,
    command: CommandCall,
) -> Accepted:
    """The student left; the profile stays readable but takes no more changes."""
    return await command.run(
        student_id, may=allowed("admin", "service"), decide=_decide(body.event)
    )


@router.put("/strengths-and-needs", response_model=Accepted)
async def set_strengths_and_needs(
    student_id: str,
    body: StrengthsAndNeeds,
    command: CommandCall,
) -> Accepted:
    return await command.run(student_id, may=allowed(*STAFF), decide=_decide(body.event))


@router.put("/interests", response_model=Accepted)
async def set_interests(
    student_id: str,
    body: Interests,
    command: CommandCall,
) -> Accepted:
    return await command.run(student_id, may=_self_or(*FAMILY_EDITS), decide=_decide(body.event))


@router.put("/modality-preferences", response_model=Accepted)
async def set_modality_preferences(
    student_id: str,
    body: ModalityPreferences,
    command: CommandCall,
) -> Accepted:
    return await command.run(student_id, may=_self_or(*STAFF), decide=_decide(body.event))


@router.put("/accommodations", response_model=Accepted)
async def set_accommodations(
    student_id: str,
    body: Accommodations,
    command: CommandCall,
) -> Accepted:
    """IEP / 504 / language-support requirements; plan details are sealed with the student's key."""
    return await command.run(student_id, may=allowed(*STAFF), decide=_decide(body.event))


@router.put("/goals/{goal_id}", response_model=Accepted)
async def set_goal(
    student_id: str,
    goal_id: Annotated[str, Path(pattern=r"^[^|\s]{1,128}$")],
    body: Goal,
    command: CommandCall,
) -> Accepted:
    """A goal set (or revised) by student and teacher together."""
    _own_agreement(command.who, body)
    return await command.run(
        student_id, may=_self_or(*FAMILY_EDITS), decide=_decide(body.event_for(goal_id))
    )


def _own_agreement(who: Principal, body: Goal) -> None:
    """A party to the goal records it with their own agreement: a guardian cannot
    write a goal only "the teacher" agreed to. Admins and services record for others
    (an import, a meeting's minutes), so for them any party is accepted."""
    if who.role in PARTIES and who.role not in body.agreed_by:
        raise Problem(
            422,
            f"agreed_by: a {who.role} setting a goal must list their own agreement ({who.role!r})",
            slug="validation-error",
            errors=[
                {
                    "pointer": "#/agreed_by",
                    "field": "agreed_by",
                    "in": "body",
                    "detail": f"must include {who.role!r}, the role of whoever sets the goal",
                }
            ],
        )


@router.post("/reflections", response_model=Accepted)
async def record_reflection(
    student_id: str,
    body: Reflection,
    command: CommandCall,
) -> Accepted:
    """A short self-assessment the student wrote; the text is sealed with their key."""
    return await command.run(student_id, may=_self_or("service"), decide=_decide(body.event))
