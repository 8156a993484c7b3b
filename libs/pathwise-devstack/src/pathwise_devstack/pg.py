"""Database administration that works the same on embedded and external PostgreSQL."""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit, urlunsplit

import asyncpg


def dsn_with_database(dsn: str, database: str) -> str:
    """Point an admin URI at another database on the same server (query kept: socket host)."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def quote_ident(name: str) -> str:
    """Quote an identifier for DDL, where bind parameters are not allowed."""
    return '"' + name.replace('"', '""') + '"'


async def ensure_database(admin_dsn: str, name: str) -> None:
    """Create a database unless it exists; CREATE DATABASE has no IF NOT EXISTS."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await conn.execute(f"CREATE DATABASE {quote_ident(name)}")
    finally:
        await conn.close()


async def drop_database(admin_dsn: str, name: str) -> None:
    """Drop a database even while clients are still connected, so tests clean up."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
    finally:
        await conn.close()
