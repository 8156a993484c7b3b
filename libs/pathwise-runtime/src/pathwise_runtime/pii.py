"""Personal data is encrypted per data subject before it enters the log.

Each subject has its own AES-256-GCM key, stored and deletable (the runtime's
keystore), so erasure destroys it (crypto-shredding). The first releases derived
subject keys from the master key with HKDF instead; a derived key can always be
derived again, so what it sealed could never be erased. Those values are refused
unless ``PATHWISE_PII_LEGACY_KEYS`` is set for a deployment that still holds
some, whose operators then know erasure cannot reach them. The master key still
derives each district's identity-digest key here.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pathwise_contracts import EncryptedValue
from pathwise_contracts.identity import Identities
from pathwise_runtime.settings import ServiceSettings


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def master_key(settings: ServiceSettings) -> bytes:
    """The personal-data master secret: ``PATHWISE_PII_KEY``, or in development one
    derived from the stack's secret."""
    if settings.pii_master_key:
        return _unb64(settings.pii_master_key.get_secret_value())
    if settings.auth_dev_secret:  # development only: one secret for the whole stack
        secret = settings.auth_dev_secret.get_secret_value().encode()
        return hashlib.sha256(b"pathwise-pii|" + secret).digest()
    raise RuntimeError("set PATHWISE_PII_KEY (base64url, 32 bytes) to handle personal data")


class LegacyKeyRefused(ValueError):
    """A value sealed with a key derived from the master key, which cannot be erased."""


class Keyring:
    def __init__(self, master_key: bytes, *, legacy: bool = False) -> None:
        if len(master_key) < 32:
            raise ValueError("the personal-data master key must have at least 32 bytes")
        self._master = master_key
        self.legacy = legacy
        """Whether values sealed with derived subject keys may still be opened."""

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> Keyring:
        return cls(master_key(settings), legacy=settings.pii_legacy_keys)

    def _key(self, kid: str) -> bytes:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=kid.encode())
        return hkdf.derive(self._master)

    def identities(self, district: str) -> Identities:
        """The district's identity digests; every service holding the master key agrees."""
        return Identities(self._key(f"identity:{district}:1"))

    def encrypt(self, subject: str, plaintext: str) -> EncryptedValue:
        """Seal in the legacy format (a derived key): only tests and upgrade tools need it."""
        kid = f"subject:{subject}:1"
        nonce = os.urandom(12)
        ct = AESGCM(self._key(kid)).encrypt(nonce, plaintext.encode(), kid.encode())
        return EncryptedValue(kid=kid, alg="A256GCM", nonce=_b64(nonce), ct=_b64(ct))

    def decrypt(self, value: EncryptedValue) -> str:
        if not self.legacy:
            raise LegacyKeyRefused(
                f"{value.kid}: sealed with a derived key, which erasure cannot destroy; "
                "opened only with PATHWISE_PII_LEGACY_KEYS=true"
            )
        aes = AESGCM(self._key(value.kid))
        return aes.decrypt(_unb64(value.nonce), _unb64(value.ct), value.kid.encode()).decode()
