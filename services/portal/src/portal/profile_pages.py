"""Routes that edit goals and interests from the teacher, family and student pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pathwise_contracts import Modality
from portal import family, profile_edit, student, teacher
from portal.profile_edit import Invalid
from portal.upstream import NotVisible, Refused
from portal.web import Csrf, User, render, role, upstream

router = APIRouter(prefix="/profile/students/{student_id}")
Editor = Annotated[User, role("teacher", "admin", "guardian", "student")]


async def _visible(request: Request, user: User, student_id: str) -> dict[str, Any]:
    """The student as the editor may see them (404 page otherwise); a student only themself,
    a guardian only a child they hold educational rights for."""
    if user.role == "student" and student_id != user.subject:
        raise NotVisible(student_id)
    found: dict[str, Any] = await upstream(request).get(
        "profile", f"/v1/students/{student_id}", user.token
    )
    if user.role == "guardian":
        own = family.own_entry(found, user)
        if own is None or not own["educational_rights"]:
            raise NotVisible(student_id)
    return found


def _back(user: User, student_id: str) -> str:
    if user.role == "guardian":
        return f"/family/children/{student_id}?notice=profile#goals"
    if user.role == "student":
        return "/student?notice=profile#goals"
    return f"/teacher/students/{student_id}?notice=profile#goals"


async def _page_with_error(request: Request, user: User, student_id: str, detail: str) -> Response:
    """The editor's own page again, the refusal shown above the goals (422)."""
    if user.role == "guardian":
        context = await family.child_context(request, user, student_id)
        return render(
            request,
            "child.html",
            status=422,
            lang=context["lang_code"],
            messages=None,
            edit_error=detail,
            **context,
        )
    if user.role == "student":
        context = await student.student_context(request, user)
        return render(request, "student.html", status=422, edit_error=detail, **context)
    context = await teacher.student_context(request, user, student_id)
    return render(
        request,
        "teacher_student.html",
        status=422,
        actions=teacher.ACTIONS,
        modalities=[m.value for m in Modality],
        edit_error=detail,
        **context,
    )


async def _send(
    request: Request, user: User, student_id: str, path: str, version: str, body: dict[str, Any]
) -> Response:
    up = upstream(request)
    try:
        sent = await up.send(
            "PUT",
            "profile",
            f"/v1/students/{student_id}{path}",
            user.token,
            body,
            headers=profile_edit.if_match(version),
        )
    except Refused as refused:
        return await _page_with_error(request, user, student_id, refused.detail)

    async def read() -> Any:
        return await up.get("profile", f"/v1/students/{student_id}", user.token)

    await profile_edit.until_version(read, int(sent.json()["version"]))
    return RedirectResponse(_back(user, student_id), status_code=303)


@router.post("/interests")
async def interests(
    request: Request,
    student_id: str,
    user: Editor,
    interests: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
    _: None = Csrf,
) -> Response:
    await _visible(request, user, student_id)
    try:
        tags = profile_edit.interest_tags(interests)
    except Invalid as invalid:
        return await _page_with_error(request, user, student_id, invalid.detail)
    return await _send(request, user, student_id, "/interests", version, {"interests": tags})


@router.post("/goals")
async def goals(
    request: Request,
    student_id: str,
    user: Editor,
    goal_id: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    competency_id: Annotated[str, Form()] = "",
    target_date: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
    _: None = Csrf,
) -> Response:
    """A new goal (competency, date, note), or an existing goal's new status."""
    found = await _visible(request, user, student_id)
    try:
        if goal_id:
            goal = next((g for g in found.get("goals", []) if g["goal_id"] == goal_id), None)
            if goal is None:
                raise Invalid("goal_id", f"goal_id: no goal {goal_id!r}")
            body = profile_edit.goal_status_change(user.role, goal, status)
        else:
            goal_id, body = profile_edit.new_goal(user.role, competency_id, target_date, note)
    except Invalid as invalid:
        return await _page_with_error(request, user, student_id, invalid.detail)
    return await _send(request, user, student_id, f"/goals/{goal_id}", version, body)
