"""``GET /v1/frameworks/bundled``: the frameworks shipped with path-svc, for administrators.

Which one paths are planned over (``default``), each one's size and the
languages its text comes in, so a district's administrator sees what is on
offer before one is published or selected for the district.
"""

from __future__ import annotations

import functools

from fastapi import APIRouter
from pydantic import BaseModel

from path_svc.domain import catalogue
from pathwise_runtime.auth import AdminOrService

router = APIRouter(prefix="/v1", tags=["frameworks"])


class BundledFramework(BaseModel):
    name: str
    title: str
    titles: dict[str, str]
    version: str
    competencies: int
    prerequisites: int
    languages: list[str]
    default: bool


@functools.cache
def bundled() -> tuple[BundledFramework, ...]:
    """Loaded once: the bundled files do not change while the service runs."""
    out = []
    for name in catalogue.names():
        framework = catalogue.load(name)
        languages = {"en", *framework.titles}
        for c in framework.competencies:
            languages |= {lang for lang, _ in c.descriptions}
        out.append(
            BundledFramework(
                name=name,
                title=framework.title,
                titles=dict(framework.titles),
                version=framework.version,
                competencies=len(framework.competencies),
                prerequisites=sum(len(c.prerequisites) for c in framework.competencies),
                languages=sorted(languages),
                default=name == catalogue.DEFAULT_FRAMEWORK,
            )
        )
    return tuple(out)


@router.get("/frameworks/bundled", response_model=list[BundledFramework])
async def list_bundled(who: AdminOrService) -> list[BundledFramework]:
    return list(bundled())
