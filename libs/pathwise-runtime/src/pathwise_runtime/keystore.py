"""Per-subject data keys kept in a service's database: what makes erasure real.

A key derived from the master key can always be derived again, so it cannot be
forgotten. A stored random key can: each subject gets one AES-256 data key,
kept wrapped (AES-GCM) under a key-encryption key derived from the master key,
and erasing the subject deletes the row. Every ciphertext under that ``kid``,
in the database and on Kafka, is then noise.

A subject is named by (district, kind, id): two districts may both hold a
``g-1``, and ids of different kinds may meet, so erasing one never touches
another's key. A ``kid`` is random and says nothing of whom it belongs to.

The table is key custody, not a projection: replay cannot rebuild it (that is
the point), so a rebuilt database keeps the live one's keys.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pathwise_contracts import EncryptedValue
from pathwise_runtime.pii import master_key

if TYPE_CHECKING:
    from pathwise_runtime.service import Runtime

Subject = tuple[str, str]
"""A data subject within one district: its kind and its id."""

TABLE = "erasable_keys"
"""The runtime's table (migration 0003); profile-svc keeps its own, ``data_keys``."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class DataKeys:
    """Data keys by ``kid`` for one unit of work; seals and opens with them."""

    def __init__(self, by_subject: dict[Subject, tuple[str, bytes]]) -> None:
        self._by_subject = by_subject
        self._by_kid = {kid: key for kid, key in by_subject.values()}

    def __or__(self, other: DataKeys) -> DataKeys:
        return DataKeys({**self._by_subject, **other._by_subject})

    def seal(self, subject: Subject, text: str) -> EncryptedValue:
        kid, key = self._by_subject[subject]
        nonce = os.urandom(12)
        ct = AESGCM(key).encrypt(nonce, text.encode(), kid.encode())
        return EncryptedValue(kid=kid, alg="A256GCM", nonce=_b64(nonce), ct=_b64(ct))

    def open(self, value: EncryptedValue) -> str | None:
        """The plaintext, or None when the key is gone (the subject was erased)."""
        key = self._by_kid.get(value.kid)
        if key is None:
            return None
        try:
            aes = AESGCM(key)
            return aes.decrypt(_unb64(value.nonce), _unb64(value.ct), value.kid.encode()).decode()
        except InvalidTag:
            return None


class Keystore:
    """Creates, loads and destroys wrapped per-subject keys in ``table``.

    Every kid it hands out starts with ``prefix``, so a reader can tell a stored
    key's ciphertext from older master-derived ones.
    """

    def __init__(self, master: bytes, *, table: str = TABLE, prefix: str = "sdek:") -> None:
        if len(master) < 32:
            raise ValueError("the personal-data master key must have at least 32 bytes")
        if not re.fullmatch(r"[a-z_]+", table):
            raise ValueError(f"not a table name: {table!r}")
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"pathwise-kek")
        self._kek = AESGCM(hkdf.derive(master))
        self.table = table
        self.prefix = prefix

    def _wrap(self, kid: str, key: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._kek.encrypt(nonce, key, kid.encode())

    def _unwrap(self, kid: str, wrapped: bytes) -> bytes:
        return self._kek.decrypt(wrapped[:12], wrapped[12:], kid.encode())

    async def keys_for(
        self, conn: asyncpg.Connection, district: str, subjects: Iterable[Subject]
    ) -> DataKeys:
        """Each subject's key in ``district``, created on first use (concurrent creators
        agree on one)."""
        wanted = sorted(set(subjects))
        if not wanted:
            return DataKeys({})
        kids = [f"{self.prefix}{secrets.token_hex(16)}" for _ in wanted]
        await conn.execute(
            f"""INSERT INTO {self.table} (district_id, kind, subject_id, kid, wrapped)
                SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bytea[])
                ON CONFLICT (district_id, kind, subject_id) DO NOTHING""",
            district,
            [kind for kind, _ in wanted],
            [sid for _, sid in wanted],
            kids,
            [self._wrap(kid, secrets.token_bytes(32)) for kid in kids],
        )
        rows = await conn.fetch(
            f"""SELECT k.kind, k.subject_id, k.kid, k.wrapped
                  FROM {self.table} k
                  JOIN unnest($2::text[], $3::text[]) AS w(kind, subject_id)
                       USING (kind, subject_id)
                 WHERE k.district_id = $1""",
            district,
            [kind for kind, _ in wanted],
            [sid for _, sid in wanted],
        )
        return self._keys(rows)

    async def keys_by_kid(
        self,
        conn: asyncpg.Connection,
        district: str,
        kids: Iterable[str],
        *,
        kinds: Iterable[str] | None = None,
    ) -> DataKeys:
        """The stored keys among ``kids`` that belong to ``district`` (and ``kinds``); an
        erased subject's kid, or another district's, is simply absent."""
        stored = sorted({k for k in kids if k.startswith(self.prefix)})
        if not stored:
            return DataKeys({})
        rows = await conn.fetch(
            f"""SELECT kind, subject_id, kid, wrapped FROM {self.table}
                 WHERE district_id = $1 AND kid = ANY($2)
                   AND ($3::text[] IS NULL OR kind = ANY($3))""",
            district,
            stored,
            None if kinds is None else list(kinds),
        )
        return self._keys(rows)

    def _keys(self, rows: Iterable[asyncpg.Record]) -> DataKeys:
        return DataKeys(
            {
                (r["kind"], r["subject_id"]): (r["kid"], self._unwrap(r["kid"], r["wrapped"]))
                for r in rows
            }
        )

    async def destroy(
        self, conn: asyncpg.Connection, district: str, kind: str, subjects: Iterable[str]
    ) -> int:
        """Forget the subjects' keys in ``district``; returns how many were destroyed."""
        return await destroy(conn, district, kind, subjects, table=self.table)


def of(runtime: Runtime) -> Keystore:
    """The process's keystore on the runtime's table, made on first use."""
    found = runtime.extras.get("keystore")
    if found is None:
        found = runtime.extras["keystore"] = Keystore(master_key(runtime.settings))
    assert isinstance(found, Keystore)
    return found


async def destroy(
    conn: asyncpg.Connection,
    district: str,
    kind: str,
    subjects: Iterable[str],
    *,
    table: str = TABLE,
) -> int:
    """Forget the subjects' keys; needs no master key, so an erasure anywhere can."""
    deleted = await conn.fetch(
        f"""DELETE FROM {table}
             WHERE district_id = $1 AND kind = $2 AND subject_id = ANY($3) RETURNING kid""",
        district,
        kind,
        sorted(subjects),
    )
    return len(deleted)
