"""The LRS's documents in Postgres, written and read here: sealed under the agent's
stored key when about one.

Each write reads the current document under a row lock (``FOR UPDATE``), so
two writers racing with the same ``If-Match`` cannot both win.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime

import asyncpg

from assessment_svc.adapters.keyring import AGENT
from assessment_svc.domain.xapi_documents import Address, Document
from assessment_svc.projections import erasure
from pathwise_contracts import EncryptedValue
from pathwise_runtime.keystore import Keystore

_WHERE = """district_id = $1 AND resource = $2 AND activity_id = $3 AND identity = $4
            AND registration = $5"""


def _key(district: str, at: Address) -> list[str]:
    return [district, str(at.resource), at.activity_id, at.identity, at.registration]


class DocumentStore:
    def __init__(self, pool: asyncpg.Pool, keystore: Keystore) -> None:
        self.pool = pool
        self.keystore = keystore

    async def _open(self, conn: asyncpg.Connection, district: str, row: asyncpg.Record) -> bytes:
        if not row["identity"]:
            return bytes(row["content"])
        sealed = EncryptedValue.model_validate_json(row["content"])
        keys = await self.keystore.keys_by_kid(conn, district, [sealed.kid], kinds=[AGENT])
        text = keys.open(sealed)
        return b"" if text is None else base64.b64decode(text)

    async def _current(
        self, conn: asyncpg.Connection, district: str, at: Address, *, lock: bool
    ) -> tuple[Document, datetime] | None:
        row = await conn.fetchrow(
            f"""SELECT * FROM xapi_documents WHERE {_WHERE} AND document_id = $6
                {"FOR UPDATE" if lock else ""}""",
            *_key(district, at),
            at.document_id,
        )
        if row is None:
            return None
        return Document(row["content_type"], await self._open(conn, district, row)), row["updated"]

    async def get(self, district: str, at: Address) -> tuple[Document, datetime] | None:
        async with self.pool.acquire() as conn:
            return await self._current(conn, district, at, lock=False)

    async def ids(self, district: str, at: Address, since: datetime | None) -> list[str]:
        rows = await self.pool.fetch(
            f"""SELECT document_id FROM xapi_documents
                 WHERE {_WHERE} AND ($6::timestamptz IS NULL OR updated > $6)
                 ORDER BY document_id""",
            *_key(district, at),
            since,
        )
        return [r["document_id"] for r in rows]

    async def write(
        self,
        district: str,
        at: Address,
        change: Callable[[Document | None], Document],
        now: datetime,
    ) -> Document | None:
        """Store ``change(current)``; ``change`` raises to refuse. None: the agent is erased
        (taken, not kept, as their statements are)."""
        async with self.pool.acquire() as conn, conn.transaction():
            if at.identity and await erasure.erased_identities(conn, [(district, at.identity)]):
                return None
            found = await self._current(conn, district, at, lock=True)
            new = change(found[0] if found else None)
            content = new.content
            if at.identity:
                keys = await self.keystore.keys_for(conn, district, [(AGENT, at.identity)])
                sealed = keys.seal((AGENT, at.identity), base64.b64encode(content).decode())
                content = sealed.model_dump_json().encode()
            await conn.execute(
                """INSERT INTO xapi_documents (district_id, resource, activity_id, identity,
                                              registration, document_id, content_type, content,
                                              etag, updated)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                   ON CONFLICT (district_id, resource, activity_id, identity, registration,
                                document_id)
                   DO UPDATE SET content_type = excluded.content_type,
                                 content = excluded.content, etag = excluded.etag,
                                 updated = excluded.updated""",
                *_key(district, at),
                at.document_id,
                new.content_type,
                content,
                new.etag,
                now,
            )
            return new

    async def delete(
        self,
        district: str,
        at: Address,
        check: Callable[[Document | None], None] | None = None,
    ) -> None:
        """Delete one document (``at.document_id``), or all at the address when it is ""."""
        async with self.pool.acquire() as conn, conn.transaction():
            if not at.document_id:
                await conn.execute(
                    f"DELETE FROM xapi_documents WHERE {_WHERE}", *_key(district, at)
                )
                return
            if check is not None:
                found = await self._current(conn, district, at, lock=True)
                check(found[0] if found else None)
            await conn.execute(
                f"DELETE FROM xapi_documents WHERE {_WHERE} AND document_id = $6",
                *_key(district, at),
                at.document_id,
            )
