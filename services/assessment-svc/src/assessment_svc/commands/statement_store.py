"""Command side of the xAPI Statement Resource: statements into ``xapi_ingested`` and the outbox.

A request's statements are stored in one transaction with the evidence they carry
(``admission.admit``) and their ``StatementStored`` events, in a handful of
queries per request whatever its size: the LRS's throughput is its round trips.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from assessment_svc.adapters.keyring import AGENT
from assessment_svc.commands.admission import Conflict, admit
from assessment_svc.domain import xapi, xapi_activities
from assessment_svc.domain.evidence import Evidence
from assessment_svc.domain.xapi_attachments import Part
from assessment_svc.projections import erasure
from pathwise_contracts import Envelope, StatementStored, SubmissionVoided, derive_event_id
from pathwise_contracts.identity import Identities
from pathwise_runtime import outbox
from pathwise_runtime.keystore import DataKeys, Keystore
from pathwise_runtime.pii import Keyring


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


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One statement made ready to store, before any query."""

    statement: xapi.Statement
    statement_id: uuid.UUID
    agent: str
    fingerprint: str
    sealed: str
    target: uuid.UUID | None
    evidence: Evidence | None
    envelope: Envelope


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
    digests = lrs.keyring.identities(lrs.district)
    agents = [_agent(s, digests) for s in statements]
    erased = {
        a for _, a in await erasure.erased_identities(conn, ((lrs.district, a) for a in agents))
    }
    keys = await lrs.keystore.keys_for(
        conn, lrs.district, {(AGENT, a) for a in agents if a not in erased}
    )
    prepared = [
        _prepare(statement, statement_id, agent, stored_at, lrs, keys, digests)
        for statement, statement_id, agent in zip(statements, ids, agents, strict=True)
        if agent not in erased  # about an erased student: taken, not kept (as their results)
    ]
    inserted = await _insert(conn, prepared, lrs, stored_at)
    new = [p for p in prepared if p.statement_id in inserted]
    await _refuse_voids_of_voids(conn, [p.target for p in new if p.target], lrs.district)
    voids: list[Envelope] = []
    for p in new:
        if parts:
            await _keep_attachments(
                conn, p.statement, parts, lrs.district, p.agent, keys, stored_at
            )
        if p.target:
            voids.extend(await _void_target(conn, p.target, lrs, stored_at))
    # Evidence before voids: a void in the same request must follow what it voids.
    await outbox.add_events(conn, [p.envelope for p in new])
    evidence = [p.evidence for p in new if p.evidence is not None]
    await admit(conn, evidence, district=lrs.district, source=lrs.source)
    await outbox.add_events(conn, voids)
    return list(ids)


def _prepare(
    statement: xapi.Statement,
    statement_id: str,
    agent: str,
    stored_at: datetime,
    lrs: Lrs,
    keys: DataKeys,
    ids: Identities,
) -> _Prepared:
    content = xapi.content(statement)
    timestamp = xapi.to_datetime(statement.timestamp) if statement.timestamp else stored_at
    target = uuid.UUID(statement.voids) if statement.voids else None
    document = {
        **content,
        "id": statement_id,
        "timestamp": timestamp.isoformat(),
        "stored": stored_at.isoformat(),
        "authority": lrs.authority,
        "version": xapi.VERSION,
    }
    sealed = keys.seal((AGENT, agent), json.dumps(document, sort_keys=True))
    context = statement.context
    event = StatementStored(
        student_id=f"ext:{agent}",
        statement_id=uuid.UUID(statement_id),
        statement=sealed,
        verb=statement.verb.id,
        activity=statement.activity,
        agent=agent,
        related_agents=statement.agents(ids),
        related_activities=statement.activities(),
        registration=uuid.UUID(context.registration) if context and context.registration else None,
        voids=target,
        stored=stored_at,
        timestamp=timestamp,
        definitions=xapi_activities.definitions(statement),
    )
    return _Prepared(
        statement=statement,
        statement_id=event.statement_id,
        agent=agent,
        fingerprint=_fingerprint(content, lrs.district),
        sealed=sealed.model_dump_json(),
        target=target,
        evidence=xapi.evidence(statement, statement_id, timestamp, ids),
        envelope=Envelope.wrap(
            event,
            id=derive_event_id("xapi", lrs.district, statement_id, "stored"),
            source=lrs.source,
            district_id=lrs.district,
            time=stored_at,
        ),
    )


async def _insert(
    conn: asyncpg.Connection, prepared: Sequence[_Prepared], lrs: Lrs, stored_at: datetime
) -> set[uuid.UUID]:
    """The ids stored now; raises Conflict for a known id with other content.

    Kept sealed here too, so the LRS reads its own writes before the projection has them.
    """
    if not prepared:
        return set()
    rows = await conn.fetch(
        """INSERT INTO xapi_ingested (statement_id, district_id, fingerprint, identity,
                                      assessment_id, voiding, stored, statement, voids)
           SELECT s, $2, f, i, a, v IS NOT NULL, $3, t, v
             FROM unnest($1::uuid[], $4::text[], $5::text[], $6::uuid[], $7::text[], $8::uuid[])
                  AS x(s, f, i, a, t, v)
           ON CONFLICT (district_id, statement_id) DO NOTHING RETURNING statement_id""",
        [p.statement_id for p in prepared],
        lrs.district,
        stored_at,
        [p.fingerprint for p in prepared],
        [p.agent for p in prepared],
        [p.evidence.assessment_id(lrs.district) if p.evidence else None for p in prepared],
        [p.sealed for p in prepared],
        [p.target for p in prepared],
    )
    new = {r["statement_id"] for r in rows}
    again = [p for p in prepared if p.statement_id not in new]
    if again:
        known = {
            r["statement_id"]: r["fingerprint"]
            for r in await conn.fetch(
                """SELECT statement_id, fingerprint FROM xapi_ingested
                    WHERE district_id = $1 AND statement_id = ANY($2::uuid[])""",
                lrs.district,
                [p.statement_id for p in again],
            )
        }
        for p in again:
            if known.get(p.statement_id) != p.fingerprint:
                raise Conflict(f"statement {p.statement_id}")
    return new


async def _refuse_voids_of_voids(
    conn: asyncpg.Connection, targets: list[uuid.UUID], district: str
) -> None:
    """A voiding statement cannot be voided, whether stored before or in this request."""
    if not targets:
        return
    voiding = await conn.fetchval(
        """SELECT statement_id FROM xapi_ingested
            WHERE district_id = $1 AND statement_id = ANY($2::uuid[]) AND voiding LIMIT 1""",
        district,
        targets,
    )
    if voiding:
        raise InvalidVoid(f"statement {voiding} is a voiding statement and cannot be voided")


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
