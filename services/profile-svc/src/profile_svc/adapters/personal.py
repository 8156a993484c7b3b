"""Personal data handling: sealed for the log, opened only to answer a request.

Everything personal is sealed with its data subject's *stored* key
(``keystore``), which erasure destroys: a student's own data (name,
accommodation details, goal notes, reflections) with the student's key, a
guardian's contact details (email, phone) with the guardian's key (one key
per person in the district, whichever students they are linked to), a
teacher's address with the teacher's. Keys are per (district, kind, id).
notify-svc reads contacts through ``POST /v1/personal-data/open``, so once a
key is gone nobody can read that person's ciphertext on Kafka any more.

Logs written before contacts moved to stored keys still carry values sealed
with the key ``pathwise_runtime.pii`` derives from the master key; ``open``
keeps reading those (they cannot be shredded, only superseded).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable

import asyncpg
from cryptography.exceptions import InvalidTag

from pathwise_contracts import EncryptedValue
from pathwise_runtime.pii import Keyring, LegacyKeyRefused
from pathwise_runtime.settings import ServiceSettings
from profile_svc.adapters.keystore import (
    KINDS,
    STORED_PREFIX,
    DataKeys,
    Keystore,
    Kind,
    master_key,
)

log = logging.getLogger(__name__)


class Vault:
    """The keys one command or query needs, loaded once."""

    def __init__(self, keys: DataKeys, keyring: Keyring, district: str) -> None:
        self._keys = keys
        self._keyring = keyring
        self.identities = keyring.identities(district)
        """Identity digests under the district's key (``pathwise_contracts.identity``)."""

    def seal_student(self, student_id: str, text: str) -> EncryptedValue:
        """Seal with the student's stored (erasable) key; it must have been loaded."""
        return self._keys.seal(("student", student_id), text)

    def seal_guardian(self, guardian_id: str, text: str) -> EncryptedValue:
        return self._keys.seal(("guardian", guardian_id), text)

    def seal_teacher(self, teacher_id: str, text: str) -> EncryptedValue:
        return self._keys.seal(("teacher", teacher_id), text)

    def open(self, value: EncryptedValue | None) -> str | None:
        """The plaintext, or None when there is none or its key is gone (erased)."""
        if value is None:
            return None
        if value.kid.startswith(STORED_PREFIX):
            return self._keys.open(value)
        try:
            return self._keyring.decrypt(value)
        except (InvalidTag, LegacyKeyRefused) as exc:
            log.warning(
                "personal data could not be opened",
                extra={"kid": value.kid, "reason": type(exc).__name__},
            )
            return None


class PersonalData:
    """The keystore, the keyring (old values) and a key for digests that must not reveal input.

    The digest key comes from the same secret as the keyring (the PII master
    key, or the development secret), under its own label.
    """

    def __init__(self, settings: ServiceSettings) -> None:
        self._keyring = Keyring.from_settings(settings)
        self.keystore = Keystore(master_key(settings))
        secret = settings.pii_master_key or settings.auth_dev_secret
        assert secret is not None  # Keyring.from_settings refused to start otherwise
        self.digest_key = hashlib.sha256(
            b"pathwise-digest|" + secret.get_secret_value().encode()
        ).digest()

    async def vault(
        self,
        conn: asyncpg.Connection,
        district: str,
        *,
        students: Iterable[str] = (),
        guardians: Iterable[str] = (),
        teachers: Iterable[str] = (),
        kids: Iterable[str] = (),
        kinds: Iterable[Kind] = KINDS,
    ) -> Vault:
        """Keys of ``district`` to seal for the named subjects (created if new) and to
        open ``kids`` of ``kinds``; a kid of another district stays closed."""
        wanted = [
            *(("student", s) for s in students),
            *(("guardian", g) for g in guardians),
            *(("teacher", t) for t in teachers),
        ]
        keys = await self.keystore.keys_for(conn, district, wanted)
        known = list(kids)
        if known:
            keys = keys | await self.keystore.keys_by_kid(conn, district, known, kinds=kinds)
        return Vault(keys, self._keyring, district)
