"""Personal data handling: sealed for the log, opened only to answer a request."""

from __future__ import annotations

import hashlib
import logging

from cryptography.exceptions import InvalidTag

from pathwise_contracts import EncryptedValue
from pathwise_runtime.pii import Keyring
from pathwise_runtime.settings import ServiceSettings

log = logging.getLogger(__name__)


class PersonalData:
    """The keyring, plus a secret key for digests that must not reveal their input.

    The digest key comes from the same secret as the keyring (the PII master
    key, or the development secret), under its own label.
    """

    def __init__(self, settings: ServiceSettings) -> None:
        self._keyring = Keyring.from_settings(settings)
        secret = settings.pii_master_key or settings.auth_dev_secret
        assert secret is not None  # Keyring.from_settings refused to start otherwise
        self.digest_key = hashlib.sha256(
            b"pathwise-digest|" + secret.get_secret_value().encode()
        ).digest()

    def seal(self, subject: str, text: str) -> EncryptedValue:
        return self._keyring.encrypt(subject, text)

    def open(self, value: EncryptedValue | None) -> str | None:
        """The plaintext, or None when there is none or its key is gone (erased)."""
        if value is None:
            return None
        try:
            return self._keyring.decrypt(value)
        except InvalidTag:
            log.warning("personal data could not be decrypted", extra={"kid": value.kid})
            return None
