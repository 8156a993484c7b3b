"""Command side for results in a standard's format: evidence and xAPI statements into the outbox.

Each result is admitted once, by its (district, source, source_id): the ``ingested`` row,
any ``xapi_ingested`` row and the outbox rows share one transaction, so a
request is taken whole or not at all, and a retry finds what the first try did.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg

from assessment_svc.adapters.keyring import AGENT
from assessment_svc.commands.ingestion import Outcome, own_id
from assessment_svc.domain import xapi, xapi_activities
from assessment_svc.domain.evidence import Evidence, Invalid, submitted_event_id
from assessment_svc.domain.xapi_attachments import Part
from assessment_svc.projections import erasure
from pathwise_contracts import Envelope, StatementStored, SubmissionVoided, derive_event_id
from pathwise_contracts.identity import Identities
from pathwise_runtime import outbox
from pathwise_runtime.keystore import DataKeys, Keystore
from pathwise_runtime.pii import Keyring

DEFAULT_MAX_SCORE = 100.0  # a standard without a maximum reports percent unless mapped


@dataclass(frozen=True, slots=True)
class Admitted:
    """What became of one result."""

    assessment_id: uuid.UUID
    outcome: Outcome
    competency_id: str | None


class Conflict(Exception):
    """An id already admitted with other content (HTTP 409)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} was already received with different content")


async def _mapping(
    conn: asyncpg.Connection, district: str, evidence: Evidence
) -> tuple[str | None, float | None]:
    row = await conn.fetchrow(
        """SELECT competency_id, max_score FROM competency_map
            WHERE district_id = $1 AND kind = $2 AND ref = $3""",
        district,
        evidence.mapping_kind,
        evidence.mapping_ref,
    )
    return (row["competency_id"], row["max_score"]) if row else (None, None)


async def admit(
    conn: asyncpg.Connection, items: Sequence[Evidence], *, district: str, source: str
) -> list[Admitted]:
    """Admit evidence inside the caller's transaction; raises Conflict on changed content."""
    out: list[Admitted] = []
    envelopes: list[Envelope] = []
    now = datetime.now(UTC)
    for item in items:
        mapped, mapped_max = await _mapping(conn, district, item)
        competency = item.competency_id or mapped
        if item.max_score <= 0:
            item = replace(item, max_score=mapped_max or DEFAULT_MAX_SCORE)
        if item.score > item.max_score:
            raise Invalid(
                "score",
                f"{item.score:g} exceeds the points possible for {item.activity!r} "
                f"({item.max_score:g}; set max_score in the competency mapping)",
            )
        fingerprint = item.fingerprint(district)
        assessment_id = await own_id(conn, district, item.assessment_id(district), item.legacy_id)
        new = await conn.fetchval(
            """INSERT INTO ingested (assessment_id, student_id, district_id, fingerprint)
               VALUES ($1, $2, $3, $4) ON CONFLICT (assessment_id) DO NOTHING RETURNING true""",
            assessment_id,
            f"ext:{item.identity}",
            district,
            fingerprint,
        )
        if not new:
            known = await conn.fetchval(
                "SELECT fingerprint FROM ingested WHERE assessment_id = $1", assessment_id
            )
            if known != fingerprint:
                raise Conflict(f"{item.source} result {item.source_id!r}")
            out.append(Admitted(assessment_id, Outcome.DUPLICATE, competency))
            continue
        envelopes.append(
            Envelope.wrap(
                item.event(assessment_id, competency),
                id=submitted_event_id(assessment_id),
                source=source,
                district_id=district,
                time=now,
            )
        )
        out.append(Admitted(assessment_id, Outcome.RECORDED, competency))
    await outbox.add_events(conn, envelopes)
    return out


async def admit_all(
    pool: asyncpg.Pool, items: Sequence[Evidence], *, district: str, source: str
) -> list[Admitted]:
    async with pool.acquire() as conn, conn.transaction():
        return await admit(conn, items, district=district, source=source)


@dataclass(frozen=True, slots=True)
class Lrs:
    """What storing statements needs besides the database."""

    keyring: Keyring
    keystore: Keystore
    source: str
    district: str
    authority: dict[str, Any]


class InvalidVoid(ValueError):
    """A voiding statement that targets another voiding statement (HTTP 400)."""


async def store_statements(
    pool: asyncpg.Pool,
    statements: Sequence[xapi.Statement],
    lrs: Lrs,
    *,
    ids: Sequence[str],
    parts: Mapping[str, Part] | None = None,
) -> list[str]:
    """Store statements (``ids`` fills in missing ids) and the attachment ``parts`` they
    carried; returns every statement id.

    The whole request is one transaction: a conflict anywhere stores nothing.
    """
    async with pool.acquire() as conn, conn.transaction():
        return await store_statements_in(conn, statements, lrs, ids=ids, parts=parts)


async def store_statements_in(
    conn: asyncpg.Connection,
    statements: Sequence[xapi.Statement],
    lrs: Lrs,
    *,
    ids: Sequence[str],
    parts: Mapping[str, Part] | None = None,
) -> list[str]:
    """``store_statements`` inside the caller's transaction."""
    stored_at = datetime.now(UTC)
    stored: list[Envelope] = []
    voids: list[Envelope] = []
    evidence: list[Evidence] = []
    digests = lrs.keyring.identities(lrs.district)
    agents = [_agent(s, digests) for s in statements]
    erased = {
        a for _, a in await erasure.erased_identities(conn, ((lrs.district, a) for a in agents))
    }
    keys = await lrs.keystore.keys_for(
        conn, lrs.district, {(AGENT, a) for a in agents if a not in erased}
    )
    for statement, statement_id, agent in zip(statements, ids, agents, strict=True):
        if agent in erased:
            continue  # about an erased student: taken, not kept (as their results)
        result = await _store_one(
            conn, statement, statement_id, stored_at, lrs, keys, agent, digests
        )
        if result is None:
            continue
        if parts:
            await _keep_attachments(conn, statement, parts, lrs.district, agent, keys, stored_at)
        stored.append(result[0])
        voids.extend(result[1])
        if result[2] is not None:
            evidence.append(result[2])
    # Evidence before voids: a void in the same request must follow what it voids.
    await outbox.add_events(conn, stored)
    await admit(conn, evidence, district=lrs.district, source=lrs.source)
    await outbox.add_events(conn, voids)
    return list(ids)


async def _store_one(
    conn: asyncpg.Connection,
    statement: xapi.Statement,
    statement_id: str,
    stored_at: datetime,
    lrs: Lrs,
    keys: DataKeys,
    agent: str,
    ids: Identities,
) -> tuple[Envelope, list[Envelope], Evidence | None] | None:
    fingerprint = _fingerprint(xapi.content(statement), lrs.district)
    timestamp = xapi.to_datetime(statement.timestamp) if statement.timestamp else stored_at
    found = xapi.evidence(statement, statement_id, timestamp, ids)
    target = statement.voids
    if target is not None:
        voiding = await conn.fetchval(
            "SELECT voiding FROM xapi_ingested WHERE statement_id = $1 AND district_id = $2",
            uuid.UUID(target),
            lrs.district,
        )
        if voiding:
            raise InvalidVoid(f"statement {target} is a voiding statement and cannot be voided")
    document = {
        **xapi.content(statement),
        "id": statement_id,
        "timestamp": timestamp.isoformat(),
        "stored": stored_at.isoformat(),
        "authority": lrs.authority,
        "version": xapi.VERSION,
    }
    sealed = keys.seal((AGENT, agent), json.dumps(document, sort_keys=True))
    # Kept sealed here too, so the LRS reads its own writes before the projection has them.
    new = await conn.fetchval(
        """INSERT INTO xapi_ingested (statement_id, district_id, fingerprint, identity,
                                      assessment_id, voiding, stored, statement, voids)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (district_id, statement_id) DO NOTHING RETURNING true""",
        uuid.UUID(statement_id),
        lrs.district,
        fingerprint,
        agent,
        found.assessment_id(lrs.district) if found else None,
        target is not None,
        stored_at,
        sealed.model_dump_json(),
        uuid.UUID(target) if target else None,
    )
    if not new:
        known = await conn.fetchval(
            "SELECT fingerprint FROM xapi_ingested WHERE statement_id = $1 AND district_id = $2",
            uuid.UUID(statement_id),
            lrs.district,
        )
        if known != fingerprint:
            raise Conflict(f"statement {statement_id}")
        return None
    event = StatementStored(
        student_id=f"ext:{agent}",
        statement_id=uuid.UUID(statement_id),
        statement=sealed,
        verb=statement.verb.id,
        activity=statement.activity,
        agent=agent,
        related_agents=statement.agents(ids),
        related_activities=statement.activities(),
        registration=uuid.UUID(statement.context.registration)
        if statement.context and statement.context.registration
        else None,
        voids=uuid.UUID(target) if target else None,
        stored=stored_at,
        timestamp=timestamp,
        definitions=xapi_activities.definitions(statement),
    )
    envelope = Envelope.wrap(
        event,
        id=derive_event_id("xapi", lrs.district, statement_id, "stored"),
        source=lrs.source,
        district_id=lrs.district,
        time=stored_at,
    )
    voids = await _void_target(conn, uuid.UUID(target), lrs, stored_at) if target else []
    return envelope, voids, found


async def _keep_attachments(
    conn: asyncpg.Connection,
    statement: xapi.Statement,
    parts: Mapping[str, Part],
    district: str,
    agent: str,
    keys: DataKeys,
    at: datetime,
) -> None:
    carried = {a.sha2.lower() for a in statement.attachments or ()} & set(parts)
    rows = [
        (
            district,
            agent,
            sha2,
            parts[sha2].content_type,
            keys.seal(
                (AGENT, agent), base64.b64encode(parts[sha2].content).decode()
            ).model_dump_json(),
            at,
        )
        for sha2 in sorted(carried)
    ]
    await conn.executemany(
        """INSERT INTO xapi_attachments (district_id, identity, sha2, content_type, content,
                                         stored)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
        rows,
    )


def _agent(statement: xapi.Statement, ids: Identities) -> str:
    """Whose key seals the statement: its actor's, by identity digest."""
    return statement.actor.identity(ids) or xapi.group_digest(statement.actor, ids)


async def _void_target(
    conn: asyncpg.Connection, target: uuid.UUID, lrs: Lrs, at: datetime
) -> list[Envelope]:
    row = await conn.fetchrow(
        """SELECT assessment_id, identity FROM xapi_ingested
            WHERE statement_id = $1 AND district_id = $2 AND assessment_id IS NOT NULL""",
        target,
        lrs.district,
    )
    if row is None:
        return []  # nothing that counted as evidence
    event = SubmissionVoided(
        student_id=f"ext:{row['identity']}",
        assessment_id=row["assessment_id"],
        reason="voided_in_source",
    )
    return [
        Envelope.wrap(
            event,
            id=derive_event_id(row["assessment_id"], "submission-void"),
            source=lrs.source,
            district_id=lrs.district,
            time=at,
        )
    ]


def _fingerprint(content: dict[str, Any], district: str) -> str:
    canonical = json.dumps({"d": district, "s": content}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
