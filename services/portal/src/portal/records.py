"""A family's copy of their child's whole record (FERPA inspection), from profile-svc.

The page profile-svc writes (self-contained, printable, in the family's
language) is handed through as it is, fetched with the guardian's own token:
profile-svc decides whether they may export and assembles every service's
part. A part that cannot be gathered is the portal's 503 page, never a copy
with something missing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portal.upstream import NotVisible, Refused
from portal.web import User, language, role, upstream

router = APIRouter(prefix="/family")
Guardian = Annotated[User, role("guardian")]
_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"


@router.get("/children/{student_id}/record")
async def record(request: Request, student_id: str, user: Guardian) -> Response:
    lang = language(request, request.session.get("pref_lang"))
    response = await upstream(request).fetch(
        "profile", f"/v1/students/{student_id}/full-record.html", user.token, {"lang": lang}
    )
    if response.status_code in (403, 404):
        raise NotVisible(student_id)
    if response.status_code >= 400:
        raise Refused(response.status_code, response.text[:300])
    return HTMLResponse(
        response.text,
        headers={
            "Content-Disposition": response.headers.get("content-disposition", "inline"),
            "Content-Language": response.headers.get("content-language", lang),
            "Cache-Control": "no-store",
            # The page carries its styles inline and nothing else: no script, no fetch.
            "Content-Security-Policy": _CSP,
        },
    )
