"""A district publishes its own framework, or picks a bundled one, and plans over it.

``POST /v1/frameworks`` takes a CASE 1.0 package; ``PUT /v1/district/framework``
names a bundled framework. Either way the package is checked whole (every
cycle, dangling end and duplicate code in one 422, and nothing appended),
then ``FrameworkPublished`` (with the content, so replay rebuilds it) and
``DistrictFrameworkChanged`` go through the outbox in one transaction, both
keyed ``district:<id>`` so they stay in order. Planning then replans each of
the district's students once. Ids derive from the district and the digests,
so re-posting the same package is a no-op, and other districts are untouched.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
from fastapi import APIRouter, Body, Query, Request
from pydantic import BaseModel, Field

from path_svc.api.district import LIBRARY
from path_svc.domain import catalogue
from path_svc.domain.content import published
from path_svc.domain.package import Package, PackageError, read
from path_svc.projections.frameworks import DEFAULT
from pathwise_contracts import DistrictFrameworkChanged, Envelope, Event, derive_event_id
from pathwise_runtime import outbox
from pathwise_runtime.auth import Admin, Staff
from pathwise_runtime.problems import Problem

router = APIRouter(prefix="/v1", tags=["frameworks"])
NAME = r"^[a-z0-9][a-z0-9.-]*$"


class FrameworkChoice(BaseModel):
    name: str = Field(min_length=1, max_length=64, pattern=NAME, description="A bundled framework.")


@router.post("/frameworks", status_code=202)
async def publish_framework(
    request: Request,
    who: Admin,
    package: dict[str, Any] = Body(description="A CASE 1.0 package (CFDocument, CFItems, ...)."),
    name: str = Query(min_length=1, max_length=64, pattern=NAME),
) -> dict[str, Any]:
    """Validate a package and move the caller's district to it."""
    async with _snapshot(request) as conn:
        current, before = await LIBRARY.active(conn, who.district)
        since = await LIBRARY.changed_at(conn, who.district)
        known = await LIBRARY.known(conn, who.district)  # every code the district has had
    try:
        checked = read(package, name, known.framework)
    except PackageError as error:
        raise Problem(
            422,
            f"the package has {len(error.problems)} problem(s); nothing was published",
            slug="invalid-framework",
            errors=[p.to_json() for p in error.problems],
        ) from None
    document = package.get("CFDocument", {})
    uri = document.get("uri") if isinstance(document, dict) else None
    return await _adopt(request, who.district, checked, (current, since), before, uri)


@router.get("/district/framework")
async def current_framework(request: Request, who: Staff) -> dict[str, Any]:
    """Which framework the caller's district plans over, and since when."""
    async with request.app.state.runtime.pool.acquire() as conn:
        row = await conn.fetchrow(
            """SELECT name, version, digest, changed_at FROM district_frameworks
                WHERE district_id = $1""",
            who.district,
        )
    if row is None:
        default = LIBRARY.default.framework
        return {"name": default.name, "version": default.version, "digest": None, "since": None}
    return {
        "name": row["name"],
        "version": row["version"],
        "digest": row["digest"],
        "since": row["changed_at"].isoformat(),
    }


@router.put("/district/framework", status_code=202)
async def choose_framework(request: Request, who: Admin, body: FrameworkChoice) -> dict[str, Any]:
    """Move the caller's district to a framework bundled with the service."""
    try:
        if body.name not in catalogue.names():  # not a language sibling or a weights file
            raise KeyError(body.name)
        framework = catalogue.load(body.name)
    except (OSError, KeyError, ValueError):
        raise Problem(
            422,
            f"name: no bundled framework {body.name!r}",
            errors=[{"pointer": "/name", "field": "name", "detail": "unknown framework"}],
        ) from None
    async with _snapshot(request) as conn:
        current, before = await LIBRARY.active(conn, who.district)
        since = await LIBRARY.changed_at(conn, who.district)
    return await _adopt(request, who.district, Package(framework), (current, since), before, None)


@contextlib.asynccontextmanager
async def _snapshot(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """One consistent view of the district's frameworks (they change under a reader)."""
    async with (
        request.app.state.runtime.pool.acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        yield conn


async def _adopt(
    request: Request,
    district: str,
    package: Package,
    now_on: tuple[str, int],
    before: Package,
    uri: str | None,
) -> dict[str, Any]:
    """Append the publication and the district's change (unless already in use).

    ``now_on`` is the digest in use and the log position of the change that put
    it there: part of the change's id, so A -> B -> A -> B is three changes while
    a re-post of B is the same one."""
    current, since = now_on
    key = f"district:{district}"
    runtime = request.app.state.runtime
    now = datetime.now(UTC)
    event = published(package, key, uri)
    in_use = event.digest == (current if current != DEFAULT else before.digest)

    def wrap(e: Event, *parts: str) -> Envelope:
        ids = derive_event_id("framework", district, *parts)
        return Envelope.wrap(e, id=ids, source=runtime.source, district_id=district, time=now)

    envelopes = [wrap(event, event.name, event.version, event.digest)]
    if not in_use:
        change = DistrictFrameworkChanged(
            student_id=key,
            name=event.name,
            version=event.version,
            digest=event.digest,
            previous_digest=current or None,
        )
        envelopes.append(wrap(change, "change", current, str(since), event.digest))
    async with runtime.pool.acquire() as conn, conn.transaction():
        await outbox.add_events(conn, envelopes)
    summary = event.model_dump(mode="json", include={"name", "version", "title", "digest"})
    return {
        **summary,
        "source_uri": uri,
        "competencies": event.competencies,
        "prerequisites": event.prerequisites,
        "district_changed": not in_use,
    }
