"""Running a stream command over HTTP: If-Match in, ETag out, 404/412 as problems."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import asyncpg
from fastapi import Request, Response
from pydantic import BaseModel

from pathwise_runtime.auth import Principal
from pathwise_runtime.problems import Problem
from pathwise_runtime.service import Runtime
from profile_svc.adapters.personal import PersonalData
from profile_svc.commands import streams, viewers
from profile_svc.domain.access import StudentFacts, Viewer, sees


class Accepted(BaseModel):
    student_id: str
    version: int


def runtime(request: Request) -> Runtime:
    found: Runtime = request.app.state.runtime
    return found


def personal(request: Request) -> PersonalData:
    """One PersonalData per app: deriving keys from the master key is not free."""
    state = request.app.state
    if not hasattr(state, "personal"):
        state.personal = PersonalData(runtime(request).settings)
    found: PersonalData = state.personal
    return found


def expected_version(if_match: str | None) -> int | None:
    """The version an ``If-Match`` names; None when absent or ``*``."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise Problem(400, f"If-Match must be an ETag this service issued, got {if_match!r}")
    return int(tag)


def allowed(*roles: str) -> streams.May:
    """Visible to the caller (else 404), and then a role that may do this (else 403)."""

    def may(viewer: Viewer, facts: StudentFacts) -> bool:
        if not sees(viewer, facts):
            return False
        if viewer.role not in roles:
            raise Problem(403, f"role '{viewer.role}' may not do this; needs one of {list(roles)}")
        return True

    return may


Command = Callable[[Viewer, int | None], Awaitable[int]]
"""A write on a student's stream given the caller and the ``If-Match`` version; the new version."""


async def run(
    request: Request,
    response: Response,
    who: Principal,
    student_id: str,
    *,
    if_match: str | None,
    may: streams.May,
    decide: streams.Decide,
    guardians: Iterable[str] = (),
    then: Callable[[asyncpg.Connection, streams.Stream], Awaitable[None]] | None = None,
) -> Accepted:
    """One command on the stream (``streams.append``); ``guardians``: whose keys it needs."""
    rt = runtime(request)

    async def command(viewer: Viewer, expected: int | None) -> int:
        return await streams.append(
            rt.pool,
            student_id,
            viewer=viewer,
            may=may,
            expected=expected,
            decide=decide,
            personal=personal(request),
            source=rt.source,
            guardians=guardians,
            then=then,
        )

    return await execute(request, response, who, student_id, if_match=if_match, command=command)


async def execute(
    request: Request,
    response: Response,
    who: Principal,
    student_id: str,
    *,
    if_match: str | None,
    command: Command,
) -> Accepted:
    """Run a stream write for the caller; 404 / 412 as problems, the new ``ETag`` on success."""
    expected = expected_version(if_match)
    async with runtime(request).pool.acquire() as conn:
        viewer = await viewers.viewer(conn, who)
    try:
        version = await command(viewer, expected)
    except streams.NotFound:
        raise Problem(404, f"no student {student_id!r} in your district") from None
    except streams.Stale as stale:
        raise Problem(
            412,
            f"If-Match {if_match} is stale: the student is at version {stale.version}",
            slug="stale-version",
            current=f'"{stale.version}"',
        ) from None
    response.headers["ETag"] = f'"{version}"'
    return Accepted(student_id=student_id, version=version)
