"""District administrator pages: overview, accommodations, frameworks, message settings.

From the services' APIs with the administrator's own token; what a page may
change (the district's framework) is the owning service's command.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from portal import accommodations_source, district, views
from portal.upstream import NotVisible, Refused
from portal.web import Csrf, User, language, render, role, upstream

router = APIRouter(prefix="/admin")
Admin = Annotated[User, role("admin")]


@router.get("")
async def overview(request: Request, user: Admin) -> Response:
    """Students needing support across the district's sections; mastery by school and grade."""
    up = upstream(request)
    sections, groups = await views.gather(
        up.get("profile", "/v1/me/sections", user.token),
        up.get("profile", "/v1/district/mastery", user.token),
    )
    ids = [s["section_id"] for s in sections]
    answers = await views.gather(
        *(up.get("path", f"/v1/sections/{sid}/support", user.token) for sid in ids)
    )
    support = district.needing_support(
        {sid: a["alerts"] for sid, a in zip(ids, answers, strict=True)}
    )
    return render(
        request,
        "admin_overview.html",
        support=support,
        mastery=district.mastery_rows(groups),
        sections=len(ids),
    )


@router.get("/accommodations")
async def accommodations(request: Request, user: Admin) -> Response:
    rows = await accommodations_source.load(upstream(request), user.token)
    return render(request, "admin_accommodations.html", rows=rows)


@router.get("/frameworks")
async def frameworks(request: Request, user: Admin) -> Response:
    """The framework paths are planned over, and the bundled ones on offer."""
    return await _frameworks_page(request, user)


@router.post("/frameworks")
async def choose_framework(
    request: Request, user: Admin, name: Annotated[str, Form()] = "", _: None = Csrf
) -> Response:
    """Move the district to a bundled framework; path-svc replans each student once."""
    try:
        await upstream(request).send(
            "PUT", "path", "/v1/district/framework", user.token, {"name": name}
        )
    except Refused as refused:
        return await _frameworks_page(request, user, error=refused.detail, status=422)
    return RedirectResponse("/admin/frameworks?notice=framework", status_code=303)


async def _frameworks_page(
    request: Request, user: Admin, *, error: str | None = None, status: int = 200
) -> Response:
    up = upstream(request)
    current, bundled, chosen = await views.gather(
        up.get("path", "/v1/framework", user.token),
        up.get_or_none("path", "/v1/frameworks/bundled", user.token),
        up.get_or_none("path", "/v1/district/framework", user.token),
    )
    lang = language(request, request.session.get("pref_lang"))
    return render(
        request,
        "admin_frameworks.html",
        status=status,
        current=views.Framework(current, lang),
        current_name=current.get("name", ""),
        since=(chosen or {}).get("since"),
        bundled=bundled or [],
        lang_code=lang,
        notice=request.query_params.get("notice"),
        error=error,
    )


@router.get("/messages")
async def messages(request: Request, user: Admin) -> Response:
    try:
        settings = await upstream(request).get("notify", "/v1/message-settings", user.token)
    except NotVisible:
        settings = None
    return render(request, "admin_messages.html", settings=settings)
