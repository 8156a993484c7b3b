"""path-svc's consumers over a hand-kept log, its publishing API in-process, and replay.

Every projection of the service runs through the runtime's applier on a log
kept here (partitions by key, offsets per partition); whatever the outbox
queues goes back onto the log as the relay would put it, until nothing new
comes. Replay applies the same log to a fresh database, in the service's
projection order and partition by partition (another interleaving).
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
from aiokafka import ConsumerRecord
from fastapi import FastAPI
from path_support import record

from path_svc.api.paths import router as paths
from path_svc.api.publishing import router as publishing
from path_svc.domain import catalogue
from path_svc.main import SPEC
from path_svc.projections import FrameworksProjection, IntakeProjection, PlanningProjection
from pathwise_contracts import ASSESSMENT_EVENTS, PATH_EVENTS, PROFILE_EVENTS, Envelope, Event
from pathwise_devstack.devtoken import mint_token
from pathwise_runtime import problems
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.auth import TokenVerifier
from pathwise_runtime.service import open_pool, prepare_database
from pathwise_runtime.settings import ServiceSettings

SOURCE = "urn:pathwise:path-svc"
SECRET = "p" * 32
PARTITIONS = 3
TABLES = (
    "frameworks",
    "district_frameworks",
    "mastery",
    "evidence",
    "learners",
    "planners",
    "paths",
    "path_history",
)
Record = ConsumerRecord[bytes, bytes]


SPLIT = {"3.OA.A.1": ("3.OA.A.1a", "3.OA.A.1b")}


def district_package() -> dict[str, Any]:
    """The bundled grade 3 framework as a district's CASE package, with 3.OA.A.1 split."""
    items, associations = [], []

    def associate(origin: str, kind: str, destination: str) -> None:
        associations.append(
            {
                "identifier": f"{origin}|{kind}|{destination}",
                "associationType": kind,
                "originNodeURI": {"identifier": origin, "title": origin},
                "destinationNodeURI": {"identifier": destination, "title": destination},
            }
        )

    for c in catalogue.load_default().competencies:
        for code in SPLIT.get(c.code, (c.code,)):
            items.append({"identifier": code, "humanCodingScheme": code, "fullStatement": code})
            for p in c.prerequisites:
                for before in SPLIT.get(p, (p,)):
                    associate(before, "precedes", code)
    for old, new in SPLIT.items():
        for code in new:
            associate(old, "replacedBy", code)
    return {
        "CFDocument": {"identifier": "d1-math", "title": "District 1 math", "version": "2026.2"},
        "CFItems": items,
        "CFAssociations": associations,
    }


class Log:
    """The topics as the broker would hold them: one order per partition."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self._next: dict[tuple[str, int], int] = defaultdict(int)

    def append(self, envelopes: Sequence[Envelope]) -> list[Record]:
        out = []
        for e in envelopes:
            part = zlib.crc32(e.subject.encode()) % PARTITIONS
            topic = e.event().topic
            out.append(record(e, self._next[(topic, part)], partition=part))
            self._next[(topic, part)] += 1
        self.records += out
        return out

    def events(self) -> list[tuple[Envelope, Event]]:
        envelopes = [Envelope.from_bytes(r.value or b"") for r in self.records]
        return [(e, e.event()) for e in envelopes]


class Appliers:
    """The service's projections, in its order, on one database."""

    def __init__(self, pool: asyncpg.Pool, bootstrap: str) -> None:
        self.frameworks = BatchApplier(FrameworksProjection(), pool, bootstrap)
        self.intake = BatchApplier(IntakeProjection(source=SOURCE), pool, bootstrap)
        self.planning = BatchApplier(PlanningProjection(source=SOURCE), pool, bootstrap)

    async def apply(self, records: Sequence[Record]) -> None:
        path = [r for r in records if r.topic == PATH_EVENTS.name]
        intake = [r for r in records if r.topic in (ASSESSMENT_EVENTS.name, PROFILE_EVENTS.name)]
        if path:
            await self.frameworks.apply(path)
        if intake:
            await self.intake.apply(intake)
        if path:
            await self.planning.apply(path)


class Live:
    """path-svc live: every projection, the relay feeding the log, and the HTTP API."""

    def __init__(self, pool: asyncpg.Pool, bootstrap: str) -> None:
        self.pool, self.log, self._seq = pool, Log(), 0
        self.appliers = Appliers(pool, bootstrap)
        self.app = FastAPI()
        self.app.include_router(publishing)
        self.app.include_router(paths)
        problems.install(self.app)
        self.app.state.runtime = SimpleNamespace(pool=pool, source=SOURCE)
        settings = ServiceSettings(PATHWISE_AUTH_DEV_SECRET=SECRET)
        self.app.state.token_verifier = TokenVerifier(settings)

    def client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app)
        return httpx.AsyncClient(transport=transport, base_url="http://path-svc")

    async def publish(self, envelopes: Sequence[Envelope] = ()) -> None:
        """Append, apply, and keep relaying what that derives until nothing new comes."""
        envelopes = list(envelopes) or await self.relay()
        while envelopes:
            await self.appliers.apply(self.log.append(envelopes))
            envelopes = await self.relay()

    async def relay(self) -> list[Envelope]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT seq, payload FROM pathwise_outbox WHERE seq > $1 ORDER BY seq", self._seq
            )
        if rows:
            self._seq = rows[-1]["seq"]
        return [Envelope.from_bytes(bytes(r["payload"])) for r in rows]


def admin(district: str) -> dict[str, str]:
    token = mint_token(SECRET, role="admin", district=district, sub=f"admin-{district}")
    return {"Authorization": f"Bearer {token}"}


async def fresh_pool(database: Callable[[], str]) -> asyncpg.Pool:
    dsn = database()
    await prepare_database(dsn, SPEC.migrations)
    return await open_pool(dsn, min_size=1, max_size=2)


async def tables(pool: asyncpg.Pool) -> dict[str, list[tuple[Any, ...]]]:
    async with pool.acquire() as conn:
        return {
            t: sorted((tuple(r) for r in await conn.fetch(f"SELECT * FROM {t}")), key=repr)
            for t in TABLES
        }


async def replay(database: Callable[[], str], bootstrap: str, log: Log) -> dict[str, Any]:
    """Rebuild from the log alone: each projection in turn, partition by partition."""
    pool = await fresh_pool(database)
    try:
        appliers = Appliers(pool, bootstrap)
        ordered = sorted(log.records, key=lambda r: (r.topic, r.partition, r.offset))
        path = [r for r in ordered if r.topic == PATH_EVENTS.name]
        intake = [r for r in ordered if r.topic != PATH_EVENTS.name]
        await appliers.frameworks.apply(path)
        for i in range(0, len(intake), 7):
            await appliers.intake.apply(intake[i : i + 7])
        for i in range(0, len(path), 7):
            await appliers.planning.apply(path[i : i + 7])
        return await tables(pool)
    finally:
        await pool.close()
