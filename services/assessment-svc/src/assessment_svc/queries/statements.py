"""The Statement Resource's reads: one statement (reading the LRS's own writes), how far
the projection is consistent, and opening what was sealed."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from assessment_svc.adapters import keyring as keys
from assessment_svc.adapters.keyring import AGENT
from assessment_svc.domain.xapi_attachments import Part
from pathwise_contracts import EncryptedValue
from pathwise_runtime.pii import LegacyKeyRefused
from pathwise_runtime.service import Runtime

log = logging.getLogger(__name__)


async def lookup(
    pool: asyncpg.Pool, district: str, statement_id: uuid.UUID, *, voided: bool
) -> str | None:
    """The sealed statement, voided or not as asked. The projection answers, and the
    command side fills in what it has not applied yet (the LRS reads its own writes:
    a statement and a voiding of it count from the moment they are accepted)."""
    async with pool.acquire() as conn:
        voiding_accepted = await conn.fetchval(
            "SELECT true FROM xapi_ingested WHERE district_id = $1 AND voids = $2 LIMIT 1",
            district,
            statement_id,
        )
        if voiding_accepted and not voided:
            return None
        found: str | None = await conn.fetchval(
            """SELECT statement FROM statements
                WHERE statement_id = $1 AND district_id = $2
                  AND (voided = $3 OR ($3 AND $4::boolean))""",
            statement_id,
            district,
            voided,
            bool(voiding_accepted),
        )
        if found is None and (voiding_accepted or not voided):
            found = await conn.fetchval(
                """SELECT statement FROM xapi_ingested
                    WHERE statement_id = $1 AND district_id = $2
                      AND NOT ($3 AND voiding)""",  # a voiding statement is never voided
                statement_id,
                district,
                voided,
            )
        return found


async def activity_definitions(
    pool: asyncpg.Pool, district: str, activities: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """The district's canonical definitions of those activities that statements defined."""
    rows = await pool.fetch(
        """SELECT activity_id, definition FROM xapi_activities
            WHERE district_id = $1 AND activity_id = ANY($2::text[])""",
        district,
        sorted(set(activities)),
    )
    return {r["activity_id"]: json.loads(r["definition"]) for r in rows}


async def consistent_through(pool: asyncpg.Pool, district: str) -> datetime:
    pending = await pool.fetchval(
        "SELECT min(stored) FROM xapi_ingested WHERE district_id = $1 AND NOT projected",
        district,
    )
    return (pending - timedelta(microseconds=1)) if pending else datetime.now(UTC)


async def documents(runtime: Runtime, district: str, stored: list[str]) -> list[dict[str, Any]]:
    """The statements, opened: stored keys for the district's agents, the keyring for
    statements sealed before there were stored keys (where the deployment opts in);
    an erased agent's are skipped."""
    values = [EncryptedValue.model_validate_json(s) for s in stored]
    store = keys.keystore(runtime)
    async with runtime.pool.acquire() as conn:
        found = await store.keys_by_kid(conn, district, [v.kid for v in values], kinds=[AGENT])
    out: list[dict[str, Any]] = []
    for value in values:
        stored_key = value.kid.startswith(store.prefix)
        text = found.open(value) if stored_key else _legacy(runtime, value)
        if text is not None:
            out.append(json.loads(text))
    return out


def _legacy(runtime: Runtime, value: EncryptedValue) -> str | None:
    """A statement sealed before stored keys: opened only where the deployment opts in."""
    try:
        return keys.keyring(runtime).decrypt(value)
    except LegacyKeyRefused:
        log.warning("statement sealed with a derived key skipped", extra={"kid": value.kid})
        return None


async def attachments(runtime: Runtime, district: str, sha2s: list[str]) -> dict[str, Part]:
    """The stored attachment content among ``sha2s``, opened; an erased agent's is gone."""
    if not sha2s:
        return {}
    async with runtime.pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT sha2, content_type, content FROM xapi_attachments
                WHERE district_id = $1 AND sha2 = ANY($2::text[])""",
            district,
            sha2s,
        )
        values = [EncryptedValue.model_validate_json(r["content"]) for r in rows]
        found = await keys.keystore(runtime).keys_by_kid(
            conn, district, [v.kid for v in values], kinds=[AGENT]
        )
    out: dict[str, Part] = {}
    for row, value in zip(rows, values, strict=True):
        text = found.open(value)
        if text is not None:
            out[row["sha2"]] = Part(row["content_type"], base64.b64decode(text))
    return out
