"""Publishing competency frameworks: ``POST /v1/frameworks`` takes a CASE 1.0
package, validates it (a prerequisite cycle is a 422 naming the cycle) and
appends ``FrameworkPublished`` through the outbox.

The event id derives from the framework's name, version and content digest,
so re-posting the same package is a no-op and a changed package under the
same version is a new, distinguishable fact.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Body, Query, Request

from path_svc.domain.case import digest, from_case
from path_svc.domain.framework import Framework, FrameworkError
from pathwise_contracts import Envelope, FrameworkPublished, derive_event_id
from pathwise_runtime import outbox
from pathwise_runtime.auth import Admin
from pathwise_runtime.problems import Problem

router = APIRouter(prefix="/v1", tags=["frameworks"])


def published(framework: Framework, source_uri: str | None = None) -> FrameworkPublished:
    """The event announcing ``framework``; keyed ``framework:<name>``."""
    return FrameworkPublished(
        student_id=f"framework:{framework.name}",
        name=framework.name,
        version=framework.version,
        title=framework.title,
        source_uri=source_uri,
        digest=digest(framework),
        competencies=len(framework.competencies),
        prerequisites=sum(len(c.prerequisites) for c in framework.competencies),
    )


@router.post("/frameworks", status_code=202)
async def publish_framework(
    request: Request,
    who: Admin,
    package: dict[str, Any] = Body(description="A CASE 1.0 package (CFDocument, CFItems, ...)."),
    name: str = Query(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9.-]*$"),
) -> dict[str, Any]:
    """Validate and publish a framework version."""
    try:
        framework = from_case(package, name)
    except FrameworkError as error:
        raise Problem(422, str(error)) from None
    document = package.get("CFDocument", {})
    event = published(framework, document.get("uri") if isinstance(document, dict) else None)
    envelope = Envelope.wrap(
        event,
        id=derive_event_id("framework", event.name, event.version, event.digest),
        source=request.app.state.runtime.source,
        district_id=who.district,
        time=datetime.now(UTC),
    )
    async with request.app.state.runtime.pool.acquire() as conn, conn.transaction():
        await outbox.add_events(conn, [envelope])
    return event.model_dump(mode="json", exclude={"student_id"})
