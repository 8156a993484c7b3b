"""The framework a district plans over, for the HTTP readers (cached per district and digest)."""

from __future__ import annotations

from fastapi import Request

from path_svc.domain.framework import Framework
from path_svc.projections.frameworks import Library

LIBRARY = Library()


async def framework_of(request: Request, district: str) -> Framework:
    """The district's active framework: the bundled default until it publishes or picks one."""
    async with request.app.state.runtime.pool.acquire() as conn:
        _, package = await LIBRARY.active(conn, district)
    return package.framework
