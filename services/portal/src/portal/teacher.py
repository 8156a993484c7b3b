"""Teacher pages: my sections, a section at a glance, a student in depth, overrides."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pathwise_contracts import Modality
from portal import views
from portal.i18n import translator
from portal.upstream import Refused
from portal.web import Csrf, NotFound, User, language, render, role, upstream

router = APIRouter(prefix="/teacher")
Teacher = Annotated[User, role("teacher", "admin")]
ACTIONS = ("pin", "skip", "move", "modality")
"""Override actions; each is labelled ``action_long.<action>`` in the catalogue."""


@router.get("")
async def sections(request: Request, user: Teacher) -> Response:
    mine = await upstream(request).get("profile", "/v1/me/sections", user.token)
    return render(request, "teacher_home.html", sections=mine)


async def _teaches(request: Request, user: User, section_id: str) -> None:
    mine = await upstream(request).get("profile", "/v1/me/sections", user.token)
    if section_id not in {s["section_id"] for s in mine}:
        raise NotFound()


@router.get("/sections/{section_id}")
async def section(request: Request, section_id: str, user: Teacher) -> Response:
    up = upstream(request)
    await _teaches(request, user, section_id)
    students, roster, support, groups, framework = await views.gather(
        up.get("profile", "/v1/students", user.token, {"section": section_id, "limit": 1000}),
        up.get("path", f"/v1/sections/{section_id}/roster", user.token),
        up.get("path", f"/v1/sections/{section_id}/support", user.token),
        up.get("path", f"/v1/sections/{section_id}/groups", user.token),
        up.get("path", "/v1/framework", user.token),
    )
    names = {s["student_id"]: views.name_of(s) for s in students}
    planned = {r["student_id"]: r for r in roster["students"]}
    rows = [{"student_id": sid, "name": names[sid], "plan": planned.get(sid)} for sid in names]
    return render(
        request,
        "section.html",
        section_id=section_id,
        rows=rows,
        alerts=[a for a in support["alerts"] if a["student_id"] in names],
        groups=groups["groups"],
        names=names,
        describe=views.Framework(framework, _lang(request)).describe,
    )


def _lang(request: Request) -> str:
    """A teacher's pages follow the language switch (English until they choose)."""
    return language(request, request.session.get("pref_lang"))


async def student_context(request: Request, user: User, student_id: str) -> dict[str, Any]:
    """Everything the student page shows; NotVisible (404) unless profile-svc lets the user see."""
    up = upstream(request)
    student = await up.get("profile", f"/v1/students/{student_id}", user.token)
    framework_body, path, history, mastery, evidence, overrides = await views.gather(
        up.get("path", "/v1/framework", user.token),
        up.get_or_none("path", f"/v1/students/{student_id}/path", user.token),
        up.get_or_none("path", f"/v1/students/{student_id}/path/history", user.token),
        up.get_or_none("path", f"/v1/students/{student_id}/mastery", user.token),
        up.get_or_none("assessment", f"/v1/students/{student_id}/assessments", user.token),
        up.get_or_none("path", f"/v1/students/{student_id}/path/overrides", user.token),
    )
    framework = views.Framework(framework_body, _lang(request))
    steps = views.steps_of(path)
    levels = views.levels_of(mastery, framework.threshold)
    name = views.name_of(student)
    t = translator(_lang(request))
    return {
        "student": student,
        "name": name,
        "framework": framework,
        "path": path,
        "steps": steps,
        "history": (history or {}).get("replans", [])[:20],
        "mastery": {c["competency_id"]: c for c in (mastery or {}).get("competencies", [])},
        "levels": levels,
        "map": views.mastery_map(framework, levels, steps, name, t),
        "reflections": list(reversed(student.get("reflections", [])))[:20],
        "evidence": views.evidence_by_competency(evidence),
        "overrides": (overrides or {}).get("overrides", []),
    }


@router.get("/students/{student_id}")
async def student(request: Request, student_id: str, user: Teacher) -> Response:
    context = await student_context(request, user, student_id)
    return render(
        request,
        "teacher_student.html",
        actions=ACTIONS,
        modalities=[m.value for m in Modality],
        notice=request.query_params.get("notice"),
        **context,
    )


@router.post("/students/{student_id}/overrides")
async def override(
    request: Request,
    student_id: str,
    user: Teacher,
    action: Annotated[str, Form()],
    competency_id: Annotated[str, Form()],
    position: Annotated[str, Form()] = "",
    modality: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    _: None = Csrf,
) -> Response:
    """Pin, skip, reorder or change the modality of a step, with a note (path-svc)."""
    up = upstream(request)
    await up.get("profile", f"/v1/students/{student_id}", user.token)  # may the teacher see them?
    body: dict[str, Any] = {"action": action, "competency_id": competency_id}
    if action == "move":
        body["position"] = int(position) - 1 if position.strip().isdigit() else None
    if action == "modality":
        body["modality"] = modality or None
    if note.strip():
        body["note"] = note.strip()
    try:
        await up.send("POST", "path", f"/v1/students/{student_id}/path/overrides", user.token, body)
    except Refused as refused:
        context = await student_context(request, user, student_id)
        return render(
            request,
            "teacher_student.html",
            status=422,
            actions=ACTIONS,
            modalities=[m.value for m in Modality],
            error=refused.detail,
            **context,
        )
    return RedirectResponse(f"/teacher/students/{student_id}?notice=override#path", status_code=303)


@router.post("/students/{student_id}/overrides/{override_id}/lift")
async def lift(
    request: Request, student_id: str, override_id: str, user: Teacher, _: None = Csrf
) -> Response:
    """End an override; path-svc replans without it."""
    up = upstream(request)
    await up.get("profile", f"/v1/students/{student_id}", user.token)  # may the teacher see them?
    await up.send(
        "DELETE", "path", f"/v1/students/{student_id}/path/overrides/{override_id}", user.token
    )
    return RedirectResponse(f"/teacher/students/{student_id}?notice=lifted#path", status_code=303)
