"""SQL migrations applied at start, one service replica at a time.

Replicas of a service start together in Kubernetes; an advisory lock makes the
first one migrate and the others wait, instead of racing on DDL.
"""

from __future__ import annotations

import hashlib
import logging
from importlib import resources
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

_LOCK_KEY = 0x70617468  # "path": one key per database, all services use their own DB
_RUNTIME_SQL = "sql"


def runtime_migrations() -> list[tuple[str, str]]:
    """The runtime's own tables (watermarks, applied events, outbox)."""
    folder = resources.files("pathwise_runtime").joinpath(_RUNTIME_SQL)
    return sorted(
        (f"runtime/{entry.name}", entry.read_text())
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    )


def folder_migrations(folder: Path) -> list[tuple[str, str]]:
    """A service's migrations: ``NNNN_name.sql`` files applied in name order."""
    return [(p.name, p.read_text()) for p in sorted(folder.glob("*.sql"))]


async def migrate(conn: asyncpg.Connection, migrations: list[tuple[str, str]]) -> list[str]:
    """Apply what has not been applied yet; refuse an applied file that changed."""
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS pathwise_schema_migrations (
                   name text PRIMARY KEY, checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {
            r["name"]: r["checksum"]
            for r in await conn.fetch("SELECT name, checksum FROM pathwise_schema_migrations")
        }
        applied: list[str] = []
        for name, sql in migrations:
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            if name in done:
                if done[name] != checksum:
                    raise RuntimeError(
                        f"migration {name} was changed after it was applied; "
                        "add a new migration instead"
                    )
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO pathwise_schema_migrations (name, checksum) VALUES ($1, $2)",
                    name,
                    checksum,
                )
            applied.append(name)
            log.info("migration applied", extra={"migration": name})
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
