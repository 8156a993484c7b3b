"""Per-subject data keys kept in profile-svc's database: what makes erasure real.

A key derived from the master key can always be derived again, so it cannot be
forgotten. A stored random key can: each subject gets one AES-256 data key,
kept wrapped (AES-GCM) under a key-encryption key derived from the master key,
and erasing the subject deletes the row. Every ciphertext under that ``kid``,
in the database and on Kafka, is then noise.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Iterable

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pathwise_contracts import EncryptedValue
from pathwise_runtime.settings import ServiceSettings

STORED_PREFIX = "dek:"


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

    def __init__(self, by_subject: dict[str, tuple[str, bytes]]) -> None:
        self._by_subject = by_subject
        self._by_kid = {kid: key for kid, key in by_subject.values()}

    def __or__(self, other: DataKeys) -> DataKeys:
        return DataKeys({**self._by_subject, **other._by_subject})

    def seal(self, subject: str, text: str) -> EncryptedValue:
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

    async def keys_for(self, conn: asyncpg.Connection, subjects: Iterable[str]) -> DataKeys:
        """Each subject's key, created on first use (concurrent creators agree on one)."""
        wanted = sorted(set(subjects))
        fresh = [(s, f"{STORED_PREFIX}{s}:{secrets.token_hex(8)}") for s in wanted]
        await conn.execute(
            """INSERT INTO subject_keys (subject_id, kid, wrapped)
               SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])
               ON CONFLICT (subject_id) DO NOTHING""",
            [s for s, _ in fresh],
            [k for _, k in fresh],
            [self._wrap(k, secrets.token_bytes(32)) for _, k in fresh],
        )
        rows = await conn.fetch(
            "SELECT subject_id, kid, wrapped FROM subject_keys WHERE subject_id = ANY($1)", wanted
        )
        return DataKeys(
            {r["subject_id"]: (r["kid"], self._unwrap(r["kid"], r["wrapped"])) for r in rows}
        )

    async def keys_by_kid(self, conn: asyncpg.Connection, kids: Iterable[str]) -> DataKeys:
        """The stored keys among ``kids``; an erased subject's kid is simply absent."""
        stored = sorted({k for k in kids if k.startswith(STORED_PREFIX)})
        if not stored:
            return DataKeys({})
        rows = await conn.fetch(
            "SELECT subject_id, kid, wrapped FROM subject_keys WHERE kid = ANY($1)", stored
        )
        return DataKeys(
            {r["subject_id"]: (r["kid"], self._unwrap(r["kid"], r["wrapped"])) for r in rows}
        )

    async def destroy(self, conn: asyncpg.Connection, subjects: Iterable[str]) -> int:
        """Forget the subjects' keys; returns how many were destroyed."""
        deleted = await conn.fetch(
            "DELETE FROM subject_keys WHERE subject_id = ANY($1) RETURNING kid", sorted(subjects)
        )
        return len(deleted)
