"""A framework as a fact on the log: ``FrameworkPublished`` with its content, and back.

Replay rebuilds a district's framework from the event alone, so the event
carries everything the planner and the readers use: codes, statements (in
every language the package has), grades, prerequisites, mastery parameters
and the carrying associations. Parameters travel by
name, so a model with more (or fewer) of them reads older events.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from path_svc.domain.framework import Competency, Framework
from path_svc.domain.mastery import BktParams
from path_svc.domain.package import Link, Package
from pathwise_contracts import FrameworkAssociation, FrameworkCompetency, FrameworkPublished

PARAMS = frozenset(f.name for f in dataclasses.fields(BktParams))


def published(package: Package, key: str, source_uri: str | None = None) -> FrameworkPublished:
    """The event announcing ``package``; ``key`` is its partition key (``district:<id>``)."""
    framework = package.framework
    return FrameworkPublished(
        student_id=key,
        name=framework.name,
        version=framework.version,
        title=framework.title,
        source_uri=source_uri,
        digest=package.digest,
        competencies=len(framework.competencies),
        prerequisites=sum(len(c.prerequisites) for c in framework.competencies),
        content=[
            FrameworkCompetency(
                code=c.code,
                description=c.description,
                prerequisites=list(c.prerequisites),
                params=dataclasses.asdict(c.params),
                grade=c.grade,
                descriptions=dict(c.descriptions),
            )
            for c in framework.competencies
        ],
        associations=[
            FrameworkAssociation(kind=x.kind, code=x.code, previous=x.previous)
            for x in package.links
        ],
        titles=dict(framework.titles),
    )


def package_of(event: FrameworkPublished) -> Package:
    """The framework an event carries (raises ValueError for an event without content)."""
    if event.content is None:
        raise ValueError(f"FrameworkPublished {event.name} {event.version} carries no content")
    framework = Framework(
        event.name,
        (
            Competency(
                code=c.code,
                description=c.description,
                prerequisites=tuple(c.prerequisites),
                params=BktParams(**_params(c.params)),
                descriptions=tuple(sorted(c.descriptions.items())),
                grade=c.grade,
            )
            for c in event.content
        ),
        title=event.title,
        version=event.version,
        titles=event.titles,
    )
    links = tuple(Link(a.kind, a.code, a.previous) for a in event.associations or ())
    return Package(framework, links)


def _params(given: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in given.items() if k in PARAMS}
