"""The student's page: my path, choose how to learn a step, write a reflection."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from portal import views
from portal.upstream import Refused
from portal.web import Csrf, User, language, render, role, upstream

router = APIRouter(prefix="/student")
Student = Annotated[User, role("student")]


async def student_context(request: Request, user: User) -> dict[str, Any]:
    up = upstream(request)
    path, me, framework = await views.gather(
        up.get_or_none("path", "/v1/me/path", user.token),
        up.get_or_none("profile", f"/v1/students/{user.subject}", user.token),
        up.get("path", "/v1/framework", user.token),
    )
    # The student's language is the one chosen with the language switch (the roster
    # holds guardians' languages, not students'); competency text follows it.
    lang = language(request, request.session.get("pref_lang"))
    own = views.Framework(framework, lang)
    return {
        "student_id": user.subject,
        "steps": views.steps_of(path),
        "describe": own.describe,
        "lang_of": own.lang_of,
        "lang_code": lang,
        "reflections": list(reversed((me or {}).get("reflections", [])))[:10],
        "student": me,
        "framework": own,
    }


@router.get("")
async def home(request: Request, user: Student) -> Response:
    return render(
        request,
        "student.html",
        notice=request.query_params.get("notice"),
        **await student_context(request, user),
    )


async def _refused(request: Request, user: User, detail: str) -> Response:
    context = await student_context(request, user)
    return render(request, "student.html", status=422, error=detail, **context)


@router.post("/steps/{competency_id}/choice")
async def choose(
    request: Request,
    competency_id: str,
    user: Student,
    modality: Annotated[str, Form()],
    _: None = Csrf,
) -> Response:
    try:
        await upstream(request).send(
            "POST",
            "path",
            f"/v1/students/{user.subject}/path/steps/{competency_id}/choice",
            user.token,
            {"modality": modality},
        )
    except Refused as refused:
        return await _refused(request, user, refused.detail)
    return RedirectResponse("/student?notice=choice#path", status_code=303)


@router.post("/reflections")
async def reflect(
    request: Request,
    user: Student,
    text: Annotated[str, Form()],
    competency_id: Annotated[str, Form()] = "",
    confidence: Annotated[str, Form()] = "",
    _: None = Csrf,
) -> Response:
    body: dict[str, Any] = {"reflection_id": str(uuid.uuid4()), "text": text.strip()}
    if competency_id:
        body["competency_ids"] = [competency_id.lower()]
    if confidence.isdigit():
        body["confidence"] = int(confidence)
    try:
        await upstream(request).send(
            "POST", "profile", f"/v1/students/{user.subject}/reflections", user.token, body
        )
    except Refused as refused:
        return await _refused(request, user, refused.detail)
    return RedirectResponse("/student?notice=reflection", status_code=303)
