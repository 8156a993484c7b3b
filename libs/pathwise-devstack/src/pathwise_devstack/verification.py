"""Replay verification of a running service: rebuild from the log, compare with live.

Shared by `pathwise replay`, `pathwise demo --verify-replay` and the tests,
so what users run is what CI proves.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from faststream.kafka import KafkaBroker
from pydantic import SecretStr

from pathwise_devstack.entrypoints import service_spec
from pathwise_devstack.pg import drop_database, dsn_with_database, ensure_database
from pathwise_runtime import replay
from pathwise_runtime.outbox import OutboxRelay
from pathwise_runtime.projection import Projection
from pathwise_runtime.service import Runtime, open_pool, prepare_database
from pathwise_runtime.settings import ServiceSettings


@dataclass
class ReplayReport:
    service: str
    database: str
    events_replayed: int = 0
    tables: dict[str, replay.TableDiff] = field(default_factory=dict)
    verified: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "replay_database": self.database,
            "events_replayed": self.events_replayed,
            "verified": self.verified,
            "tables": {
                name: {
                    "live_rows": d.live_rows,
                    "replayed_rows": d.replayed_rows,
                    "equal": d.equal,
                    "only_live": [repr(r) for r in d.only_live],
                    "only_replayed": [repr(r) for r in d.only_replayed],
                }
                for name, d in self.tables.items()
            },
        }


async def replay_service(
    name: str,
    *,
    live_dsn: str,
    admin_dsn: str,
    bootstrap: str,
    verify: bool,
    timeout: float = 120.0,
    keep: bool = False,
    secret: str | None = None,
) -> ReplayReport:
    """Rebuild ``name``'s projections into a fresh database; with ``verify``, compare.

    ``secret`` is the stack's development secret, for a projection that needs the
    keyring (otherwise the service's settings come from the environment, as in a job).

    The live service keeps running; if it moves past the replay horizon while
    we wait for it, the replay follows to the new horizon before comparing.
    """
    spec = service_spec(name)
    database = f"{name.replace('-', '_')}_replay_{secrets.token_hex(3)}"
    await ensure_database(admin_dsn, database)
    replay_dsn = dsn_with_database(admin_dsn, database)
    report = ReplayReport(name, database)
    try:
        await prepare_database(replay_dsn, spec.migrations)
        pool = await open_pool(replay_dsn, min_size=1, max_size=replay.POOL_SIZE)
        try:
            settings = ServiceSettings(
                SERVICE_NAME=name, DATABASE_URL=replay_dsn, KAFKA_BOOTSTRAP_SERVERS=bootstrap
            )
            if secret:
                settings = settings.model_copy(update={"auth_dev_secret": SecretStr(secret)})
            runtime = Runtime(
                settings, pool, KafkaBroker(bootstrap), OutboxRelay(pool, replay_dsn, bootstrap)
            )
            projections = list(spec.projections(runtime))
            groups = replay.stages(projections, spec.replay_stages)
            topics = sorted({t for p in projections for t in p.topics})
            horizon = await replay.end_offsets(bootstrap, topics)
            report.events_replayed += await _rebuild(groups, pool, bootstrap, horizon)
            if verify:
                await _verify(report, groups, pool, live_dsn, bootstrap, horizon, timeout)
        finally:
            await pool.close()
    finally:
        if verify and not keep:
            await drop_database(admin_dsn, report.database)
    return report


async def _rebuild(
    groups: list[list[Projection]],
    pool: asyncpg.Pool,
    bootstrap: str,
    horizon: dict[tuple[str, int], int],
) -> int:
    done = await replay.rebuild_all(groups, pool, bootstrap, horizon)
    return sum(r.records for r in done.values())


async def _verify(
    report: ReplayReport,
    groups: list[list[Projection]],
    pool: asyncpg.Pool,
    live_dsn: str,
    bootstrap: str,
    horizon: dict[tuple[str, int], int],
    timeout: float,
) -> None:
    projections = [p for group in groups for p in group]
    live = await open_pool(live_dsn, min_size=1, max_size=2)
    try:
        for _ in range(5):
            for p in projections:
                await replay.wait_until_caught_up(live, p.name, horizon, p.topics, timeout=timeout)
            newer = await replay.end_offsets(bootstrap, sorted(horizon_topics(horizon)))
            if newer == horizon:
                break
            horizon = newer  # the live service moved on while we replayed: follow it
            report.events_replayed += await _rebuild(groups, pool, bootstrap, horizon)
        for p in projections:
            for table in p.tables:
                report.tables[table] = await replay.compare(live, pool, table)
        report.verified = all(d.equal for d in report.tables.values())
    finally:
        await live.close()


def horizon_topics(horizon: dict[tuple[str, int], int]) -> set[str]:
    return {t for t, _ in horizon}
