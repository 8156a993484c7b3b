"""Signed one-click unsubscribe links (RFC 8058): made by the sender, checked by the API.

The link names (district, student, guardian, channel) and carries an
HMAC-SHA256 over them, so it needs no login and cannot be forged for another
guardian.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from notify_svc.settings import NotifySettings
from pathwise_runtime.problems import Problem
from pathwise_runtime.settings import ServiceSettings


@dataclass(frozen=True, slots=True)
class Subscription:
    """Whose messages on which channel a link stops."""

    district_id: str
    student_id: str
    guardian_id: str
    channel: str


def signing_key(settings: ServiceSettings) -> bytes:
    """A key of its own, derived from the service's PII master key (or the dev secret)."""
    secret = settings.pii_master_key or settings.auth_dev_secret
    if secret is None:
        raise RuntimeError("set PATHWISE_PII_KEY to sign unsubscribe links")
    return hashlib.sha256(b"pathwise-unsubscribe|" + secret.get_secret_value().encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, subscription: Subscription) -> str:
    """The token: the subscription's fields and their MAC, base64url, dot-separated."""
    fields = [
        subscription.district_id,
        subscription.student_id,
        subscription.guardian_id,
        subscription.channel,
    ]
    payload = "\n".join(fields).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def verify(key: bytes, token: str) -> Subscription:
    """The subscription a token names; Problem 404 for anything not signed by us."""
    try:
        encoded, mac = token.split(".", 1)
        payload = _unb64(encoded)
        valid = hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).digest(), _unb64(mac))
        fields = payload.decode().split("\n")
    except (ValueError, UnicodeDecodeError):
        valid, fields = False, []
    if not valid or len(fields) != 4:
        raise Problem(404, "token: not a valid unsubscribe link", slug="invalid-unsubscribe")
    return Subscription(*fields)


def link(settings: NotifySettings, key: bytes, subscription: Subscription) -> str:
    return f"{settings.public_url.rstrip('/')}/v1/unsubscribe/{sign(key, subscription)}"
