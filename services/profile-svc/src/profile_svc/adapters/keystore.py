"""Per-subject data keys kept in profile-svc's database: what makes erasure real.

A key derived from the master key can always be derived again, so it cannot be
forgotten. A stored random key can: each subject gets one AES-256 data key,
kept wrapped (AES-GCM) under a key-encryption key derived from the master key,
and erasing the subject deletes the row. Every ciphertext under that ``kid``,
in the database and on Kafka, is then noise.

A subject is named by (district, kind, id): two districts' rosters may both
hold a ``g-1``, and a district's student and guardian ids may meet, so erasing
one never touches another's key. A ``kid`` is random and says nothing of whom
it belongs to.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Iterable
from typing import Literal

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pathwise_contracts import EncryptedValue
from pathwise_runtime.settings import ServiceSettings

STORED_PREFIX = "dek:"
Kind = Literal["student", "guardian", "teacher"]
KINDS: tuple[Kind, ...] = ("student", "guardian", "teacher")
Subject = tuple[Kind, str]
"""A data subject within one district: its kind and its id."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def master_key(settings: ServiceSettings) -> bytes:
    """The same master secret ``pathwise_runtime.pii.Keyring.from_settings`` uses."""
    if settings.pii_master_key:
        return _unb64(settings.pii_master_key.get_secret_value())
    if settings.auth_dev_secret:  # development only: one secret for the whole stack
        secret = settings.auth_dev_secret.get_secret_value().encode()
        return hashlib.sha256(b"pathwise-pii|" + secret).digest()
    raise RuntimeError("set PATHWISE_PII_KEY (base64url, 32 bytes) to handle personal data")


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
    """Creates, loads and destroys wrapped per-subject keys."""

    def __init__(self, master: bytes) -> None:
        if len(master) < 32:
            raise ValueError("the personal-data master key must have at least 32 bytes")
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"pathwise-kek")
        self._kek = AESGCM(hkdf.derive(master))

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
        kids = [f"{STORED_PREFIX}{secrets.token_hex(16)}" for _ in wanted]
        await conn.execute(
            """INSERT INTO data_keys (district_id, kind, subject_id, kid, wrapped)
               SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bytea[])
               ON CONFLICT (district_id, kind, subject_id) DO NOTHING""",
            district,
            [kind for kind, _ in wanted],
            [sid for _, sid in wanted],
            kids,
            [self._wrap(kid, secrets.token_bytes(32)) for kid in kids],
        )
        rows = await conn.fetch(
            """SELECT k.kind, k.subject_id, k.kid, k.wrapped
                 FROM data_keys k JOIN unnest($2::text[], $3::text[]) AS w(kind, subject_id)
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
        kinds: Iterable[Kind] = KINDS,
    ) -> DataKeys:
        """The stored keys among ``kids`` that belong to ``district`` (and ``kinds``); an
        erased subject's kid, or another district's, is simply absent."""
        stored = sorted({k for k in kids if k.startswith(STORED_PREFIX)})
        if not stored:
            return DataKeys({})
        rows = await conn.fetch(
            """SELECT kind, subject_id, kid, wrapped FROM data_keys
                WHERE district_id = $1 AND kid = ANY($2) AND kind = ANY($3)""",
            district,
            stored,
            list(kinds),
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
        self, conn: asyncpg.Connection, district: str, kind: Kind, subjects: Iterable[str]
    ) -> int:
        """Forget the subjects' keys in ``district``; returns how many were destroyed."""
        deleted = await conn.fetch(
            """DELETE FROM data_keys
                WHERE district_id = $1 AND kind = $2 AND subject_id = ANY($3) RETURNING kid""",
            district,
            kind,
            sorted(subjects),
        )
        return len(deleted)
