"""Family pages (guardians with educational rights): children, a child's learning, messages,
and notification preferences written through profile-svc."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from portal import chart, views
from portal.i18n import LANGUAGES, negotiate, translator
from portal.upstream import NotVisible, Refused, Unavailable
from portal.web import Csrf, User, language, render, role, upstream

router = APIRouter(prefix="/family")
Guardian = Annotated[User, role("guardian")]
CHANNELS = ("email", "sms")
FREQUENCIES = ("instant", "daily_digest", "off")
READ_YOUR_WRITES_S = 5.0
"""How long saving waits for profile-svc to show the change before showing the page."""


def own_entry(student: dict[str, Any], user: User) -> dict[str, Any] | None:
    """The guardian's own entry on a child (profile-svc shows a guardian only theirs)."""
    return next((g for g in student.get("guardians", []) if g["guardian_id"] == user.subject), None)


async def _children(request: Request, user: User) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await upstream(request).get(
        "profile", "/v1/students", user.token, {"limit": 100}
    )
    return found


async def _preferred(request: Request, user: User, child_id: str | None) -> str:
    """The guardian's language from their contact preference (remembered in the session)."""
    known = request.session.get("pref_lang")
    if isinstance(known, str):
        return known
    preferred = "en"
    if child_id is not None:
        student = await upstream(request).get("profile", f"/v1/students/{child_id}", user.token)
        own = own_entry(student, user)
        preferred = negotiate(own["language"]) if own else "en"
    request.session["pref_lang"] = preferred
    return preferred


@router.get("")
async def children(request: Request, user: Guardian) -> Response:
    kids = await _children(request, user)
    await _preferred(request, user, kids[0]["student_id"] if kids else None)
    return render(request, "family_home.html", children=kids)


async def child_context(request: Request, user: User, student_id: str) -> dict[str, Any]:
    up = upstream(request)
    student = await up.get("profile", f"/v1/students/{student_id}", user.token)
    own = own_entry(student, user)
    if own is None or not own["educational_rights"]:
        raise NotVisible(student_id)
    lang = language(request, await _preferred(request, user, student_id))
    t = translator(lang)
    framework_body, path, mastery = await views.gather(
        up.get("path", "/v1/framework", user.token),
        up.get_or_none("path", f"/v1/students/{student_id}/path", user.token),
        up.get_or_none("path", f"/v1/students/{student_id}/mastery", user.token),
    )
    framework = views.Framework(framework_body, lang)
    name = views.name_of(student)
    steps = views.steps_of(path)
    points = chart.cumulative(views.mastered_days(mastery))
    return {
        "lang_code": lang,
        "student": student,
        "name": name,
        "framework": framework,
        "steps": views.family_steps(steps, t, name),
        "points": points,
        "chart": views.progress_chart(points, t),
        "mastered": points[-1].total if points else 0,
        "total": len(framework.competencies),
    }


async def _messages(request: Request, user: User, student_id: str) -> list[dict[str, Any]] | None:
    """Messages this guardian received about the child (None: notify-svc cannot say yet)."""
    try:
        body = await upstream(request).get(
            "notify", f"/v1/guardians/{user.subject}/notifications", user.token
        )
    except (NotVisible, Unavailable, Refused):
        return None
    rows = [n for n in body.get("notifications", []) if n.get("student_id") == student_id]
    for n in rows:
        n["when"] = datetime.fromisoformat(n["updated_at"]).strftime("%Y-%m-%d %H:%M")
        n["status_key"] = status_key(n.get("status", ""), n.get("reason"))
    return rows


HELD = ("quiet_hours", "digest")
NOT_SENT = ("opted_out", "no_consent", "no_contact", "no_rights")


def status_key(status: str, reason: str | None) -> str:
    """What the family reads about one message: a hold is waiting, not 'not sent', and a
    message that will not go says why."""
    if status == "suppressed" and reason in HELD:
        return f"status.held.{reason}"
    if status == "suppressed" and reason in NOT_SENT:
        return f"status.suppressed.{reason}"
    if status in ("scheduled", "sent", "failed", "suppressed", "pending"):
        return f"status.{status}"
    return "status.pending"


@router.get("/children/{student_id}")
async def child(request: Request, student_id: str, user: Guardian) -> Response:
    context = await child_context(request, user, student_id)
    messages = await _messages(request, user, student_id)
    return render(
        request,
        "child.html",
        lang=context["lang_code"],
        messages=messages,
        notice=request.query_params.get("notice"),
        **context,
    )


@router.get("/preferences")
async def preferences(request: Request, user: Guardian) -> Response:
    kids = await _children(request, user)
    own = None
    if kids:
        student = await upstream(request).get(
            "profile", f"/v1/students/{kids[0]['student_id']}", user.token
        )
        own = own_entry(student, user)
    await _preferred(request, user, kids[0]["student_id"] if kids else None)
    return render(
        request,
        "preferences.html",
        own=own,
        children=kids,
        channels=CHANNELS,
        frequencies=FREQUENCIES,
        choices=LANGUAGES,
        saved=request.query_params.get("saved") == "1",
    )


def contact_body(own: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """The full new contact state (profile-svc replaces it): details kept, choices applied."""
    quiet = None
    if form.get("quiet_start") and form.get("quiet_end"):
        quiet = {"start": form["quiet_start"], "end": form["quiet_end"]}
    frequency = {
        c: form.get(f"frequency_{c}", "instant")
        for c in CHANNELS
        if form.get(f"frequency_{c}", "instant") in FREQUENCIES
    }
    return {
        "email": own.get("email"),
        "phone": own.get("phone"),
        "language": negotiate(form.get("language") or own.get("language")),
        "time_zone": form.get("time_zone") or own.get("time_zone"),
        "quiet_hours": quiet,
        "frequency": frequency,
    }


def consent_changes(own: dict[str, Any], form: dict[str, str]) -> list[dict[str, Any]]:
    """Channels whose consent the form changes (opt-out withdraws every channel)."""
    out = []
    for channel in CHANNELS:
        wanted = form.get(f"consent_{channel}") == "on" and form.get("opt_out") != "on"
        if bool(own["consent"].get(channel)) != wanted:
            out.append({"channel": channel, "granted": wanted, "source": "portal"})
    return out


async def _until_visible(request: Request, user: Guardian, student_id: str, version: int) -> None:
    """Wait (briefly) until profile-svc's read side shows our write, so the page after
    saving shows the new preferences; profile-svc projects its commands from the log."""
    deadline = asyncio.get_running_loop().time() + READ_YOUR_WRITES_S
    while asyncio.get_running_loop().time() < deadline:
        student = await upstream(request).get("profile", f"/v1/students/{student_id}", user.token)
        if int(student.get("version", 0)) >= version:
            return
        await asyncio.sleep(0.1)


@router.post("/preferences")
async def save_preferences(request: Request, user: Guardian, _: None = Csrf) -> Response:
    """Write the preferences for every child linked to the guardian, through profile-svc."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    up = upstream(request)
    for kid in await _children(request, user):
        sid = kid["student_id"]
        student = await up.get("profile", f"/v1/students/{sid}", user.token)
        own = own_entry(student, user)
        if own is None:
            continue
        base = f"/v1/students/{sid}/guardians/{user.subject}"
        try:
            sent = [
                await up.send(
                    "PUT", "profile", f"{base}/contact", user.token, contact_body(own, form)
                )
            ]
            for change in consent_changes(own, form):
                sent.append(await up.send("POST", "profile", f"{base}/consent", user.token, change))
            await _until_visible(request, user, sid, max(r.json()["version"] for r in sent))
        except Refused as refused:
            t = translator(language(request, request.session.get("pref_lang")))
            return render(
                request,
                "preferences.html",
                status=422,
                own=own,
                children=[kid],
                channels=CHANNELS,
                frequencies=FREQUENCIES,
                choices=LANGUAGES,
                saved=False,
                error=t("invalid", detail=refused.detail),
            )
    if "language" in form:
        request.session["pref_lang"] = negotiate(form["language"])
        request.session.pop("lang", None)
    return RedirectResponse("/family/preferences?saved=1", status_code=303)
