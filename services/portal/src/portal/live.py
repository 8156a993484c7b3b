"""Server-sent events and the path fragment the page's script swaps in.

``/events/students/{id}`` first asks the services, with the user's token,
whether the user may see the student (the same read the page makes), and
only then subscribes; a user who may not gets the 404 page like everywhere
else. The stream carries one ``update`` event per path event of the student
(data: the event type), and a comment every 15 s to keep proxies from
closing it. ``/fragments/students/{id}/path`` renders just the ``#path``
element as the page would, for the signed-in role.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from portal import family, student, teacher
from portal.livefeed import Hub
from portal.web import NotFound, User, render, signed_in, upstream

router = APIRouter()
KEEPALIVE_S = 15.0
SignedIn = Annotated[User, Depends(signed_in)]


async def may_see(request: Request, user: User, student_id: str) -> None:
    """NotVisible unless the services let this user see the student."""
    if user.role == "student":
        if user.subject != student_id:
            raise NotFound()
        return
    await upstream(request).get("profile", f"/v1/students/{student_id}", user.token)


@router.get("/events/students/{student_id}")
async def events(request: Request, student_id: str, user: SignedIn) -> Response:
    await may_see(request, user, student_id)
    hub: Hub = request.app.state.hub

    async def stream() -> AsyncIterator[str]:
        with hub.subscribe(student_id) as queue:
            yield "retry: 3000\n\n"
            # The stream ends with the session: a reconnect must sign in (and pass the
            # access check) again, so a revoked right does not keep a page updating.
            while not await request.is_disconnected() and time.time() < user.expires:
                try:
                    wait = min(KEEPALIVE_S, max(0.0, user.expires - time.time()))
                    update = await asyncio.wait_for(queue.get(), wait)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                data = json.dumps({"type": update.event_type, "student_id": student_id})
                yield f"event: update\ndata: {data}\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/fragments/students/{student_id}/path")
async def path_fragment(request: Request, student_id: str, user: SignedIn) -> Response:
    if user.role in ("teacher", "admin"):
        context = await teacher.student_context(request, user, student_id)
        return render(request, "_path_teacher.html", **context)
    if user.role == "guardian":
        context = await family.child_context(request, user, student_id)
        return render(request, "_path_family.html", lang=context["lang_code"], **context)
    if user.role == "student" and user.subject == student_id:
        return render(request, "_path_student.html", **await student.student_context(request, user))
    raise NotFound()
