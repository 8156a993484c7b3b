"""CSRF tokens, PKCE and OIDC state: small, pure and constant-time where it matters.

A session carries one random CSRF token; every form echoes it in a hidden
``csrf_token`` field and every POST is refused (403) unless it matches. The
session cookie is SameSite=Lax as well, but a token does not depend on the
browser honouring that. PKCE (RFC 7636, S256) and ``state``/``nonce`` bind
an OIDC authorization response to the browser that started it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any

CSRF_FIELD = "csrf_token"
_CSRF_KEY = "csrf"


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token, created on first use."""
    token = session.get(_CSRF_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session[_CSRF_KEY] = token
    return token


def csrf_valid(session: MutableMapping[str, Any], submitted: str | None) -> bool:
    """Whether a submitted token is the session's (constant-time comparison)."""
    expected = session.get(_CSRF_KEY)
    if not isinstance(expected, str) or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())


def pkce_verifier() -> str:
    """A code verifier: 43+ characters of the unreserved set (RFC 7636 section 4.1)."""
    return secrets.token_urlsafe(48)


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def new_state() -> str:
    """An unguessable value for ``state`` or ``nonce``."""
    return secrets.token_urlsafe(24)


def same_state(expected: str | None, received: str | None) -> bool:
    """Whether the ``state`` returned by the identity provider is the one we sent."""
    if not expected or not received:
        return False
    return hmac.compare_digest(expected.encode(), received.encode())


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after signing in; anything else (other hosts) is refused."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
