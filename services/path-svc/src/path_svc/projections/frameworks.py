"""The ``frameworks`` projection: every district's published frameworks and the one in use.

Reads ``FrameworkPublished`` and ``DistrictFrameworkChanged`` (both keyed
``district:<id>``, so in order) from ``path.events.v1``. It is its own
consumer, listed first in the service, so replay rebuilds it before the
projections that read it: ``learning`` accepts evidence on any code a
district has ever published, ``planning`` plans each student over the
framework the student adopted. ``Library`` reads these tables for them and
caches each framework by (district, digest): content under a digest never
changes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import asyncpg

from path_svc.domain import catalogue
from path_svc.domain.content import package_of
from path_svc.domain.framework import Framework
from path_svc.domain.package import Link, Package
from pathwise_contracts import (
    PATH_EVENTS,
    DistrictFrameworkChanged,
    Envelope,
    FrameworkPublished,
)
from pathwise_runtime.projection import Delivered

DEFAULT = ""
"""The digest a student or district without a published framework plans over: the bundled one."""


class NotYetProjected(OSError):
    """A framework another consumer has not stored yet. An ``OSError`` on purpose:
    the runtime retries the whole batch after a backoff instead of dead-lettering it."""


class FrameworksProjection:
    """``frameworks`` and ``district_frameworks`` from ``path.events.v1``."""

    name: str = "frameworks"
    topics: tuple[str, ...] = (PATH_EVENTS.name,)
    tables: tuple[str, ...] = ("frameworks", "district_frameworks")

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Delivered]) -> list[Envelope]:
        for d in batch:
            district = d.envelope.districtid
            if isinstance(d.event, FrameworkPublished) and d.event.content is not None:
                e = d.event
                await conn.execute(
                    """INSERT INTO frameworks (district_id, digest, name, version, event,
                                               position, published_at)
                       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
                       ON CONFLICT (district_id, digest) DO NOTHING""",
                    district,
                    e.digest,
                    e.name,
                    e.version,
                    e.model_dump_json(),
                    d.offset,
                    d.envelope.time,
                )
            elif isinstance(d.event, DistrictFrameworkChanged):
                c = d.event
                await conn.execute(
                    """INSERT INTO district_frameworks AS f (district_id, digest, name, version,
                                                            position, cause_event_id, changed_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7)
                       ON CONFLICT (district_id) DO UPDATE
                          SET digest = excluded.digest, name = excluded.name,
                              version = excluded.version, position = excluded.position,
                              cause_event_id = excluded.cause_event_id,
                              changed_at = excluded.changed_at
                        WHERE f.position < excluded.position""",
                    district,
                    c.digest,
                    c.name,
                    c.version,
                    d.offset,
                    d.envelope.id,
                    d.envelope.time,
                )
        return []


@dataclass(frozen=True, slots=True)
class Known:
    """Every code a district has published (first definition wins), for evidence."""

    framework: Framework
    links: dict[str, tuple[Link, ...]] = field(default_factory=dict)
    """Per code, the links of the framework that introduced it."""


class Library:
    """Districts' frameworks as the readers need them, cached by (district, digest)."""

    def __init__(self, default: Framework | None = None) -> None:
        self.default = Package(default or catalogue.load_default())
        self._packages: dict[tuple[str, str], Package] = {}
        self._known: dict[tuple[str, tuple[str, ...]], Known] = {}

    async def package(self, conn: asyncpg.Connection, district: str, digest: str) -> Package:
        """The framework under ``digest`` (the default for ``DEFAULT``)."""
        if digest == DEFAULT:
            return self.default
        cached = self._packages.get((district, digest))
        if cached is None:
            text = await conn.fetchval(
                "SELECT event::text FROM frameworks WHERE district_id = $1 AND digest = $2",
                district,
                digest,
            )
            if text is None:
                raise NotYetProjected(f"framework {digest[:12]} of {district} not projected yet")
            cached = package_of(FrameworkPublished.model_validate(json.loads(text)))
            self._packages[(district, digest)] = cached
        return cached

    async def active(self, conn: asyncpg.Connection, district: str) -> tuple[str, Package]:
        """The district's framework now: (digest, package); the default if it never chose."""
        row = await conn.fetchrow(
            "SELECT digest, position FROM district_frameworks WHERE district_id = $1", district
        )
        digest = DEFAULT if row is None else str(row["digest"])
        return digest, await self.package(conn, district, digest)

    async def changed_at(self, conn: asyncpg.Connection, district: str) -> int:
        """Log position of the district's latest change (-1: never changed)."""
        position = await conn.fetchval(
            "SELECT position FROM district_frameworks WHERE district_id = $1", district
        )
        return -1 if position is None else int(position)

    async def known(self, conn: asyncpg.Connection, district: str) -> Known:
        """The default's codes, then each published framework's new ones, in publication order.

        First definition wins, so an estimate's parameters and carried prior never
        depend on how far this consumer is behind the frameworks consumer.
        """
        digests = tuple(
            r["digest"]
            for r in await conn.fetch(
                "SELECT digest FROM frameworks WHERE district_id = $1 ORDER BY position",
                district,
            )
        )
        if not digests:
            return Known(self.default.framework)
        cached = self._known.get((district, digests))
        if cached is None:
            competencies = {c.code: c for c in self.default.framework.competencies}
            links: dict[str, tuple[Link, ...]] = {}
            for digest in digests:
                package = await self.package(conn, district, digest)
                for c in package.framework.competencies:
                    if c.code not in competencies:
                        competencies[c.code] = c
                        links[c.code] = tuple(x for x in package.links if x.code == c.code)
            union = Framework(
                f"{district}-all",
                (replace(c, prerequisites=()) for c in competencies.values()),
            )
            cached = self._known[(district, digests)] = Known(union, links)
        return cached
