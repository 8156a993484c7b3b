"""A verified token is answered from memory only while it would verify again."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from pathwise_runtime.auth import TokenVerifier, mint_dev_token
from pathwise_runtime.problems import Problem
from pathwise_runtime.settings import ServiceSettings

pytestmark = pytest.mark.unit
SECRET = "test-secret-0123456789-0123456789"
ISSUER = "https://login.example.org/"


def test_a_remembered_token_still_expires() -> None:
    verifier = TokenVerifier(ServiceSettings(PATHWISE_AUTH_DEV_SECRET=SECRET))
    token = mint_dev_token(SECRET, role="teacher", district="d1", sub="t-1", ttl=1)
    first = verifier.verify(token)
    assert verifier.verify(token) == first
    time.sleep(
        max(0.0, jwt.decode(token, options={"verify_signature": False})["exp"] - time.time())
    )
    with pytest.raises(Problem) as caught:
        verifier.verify(token)
    assert caught.value.status == 401
    assert "expired" in caught.value.detail


class _Keys:
    """What the identity provider's JWKS serves now."""

    jwks: dict[str, Any] = {}


class _Client(jwt.PyJWKClient):
    def fetch_data(self) -> Any:
        if self.jwk_set_cache is not None:
            self.jwk_set_cache.put(_Keys.jwks)
        return _Keys.jwks


def _serve(key: rsa.RSAPrivateKey) -> None:
    jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    _Keys.jwks = {"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}


def test_a_rotated_key_verifies_a_remembered_token_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jwt, "PyJWKClient", _Client)
    settings = ServiceSettings(
        PATHWISE_AUTH_JWKS_URL="https://login.example.org/jwks.json", PATHWISE_AUTH_ISSUER=ISSUER
    )
    verifier = TokenVerifier(settings)
    old = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {"sub": "t-1", "role": "teacher", "district": "d1", "iss": ISSUER}
    claims |= {"aud": "pathwise", "exp": int(time.time()) + 600}
    token = jwt.encode(claims, old, algorithm="RS256", headers={"kid": "k1"})
    _serve(old)
    assert verifier.verify(token).subject == "t-1"
    assert verifier.verify(token).subject == "t-1"

    # The provider rotates: the same kid now names another key, and the cached set lapses.
    _serve(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert verifier._jwks is not None and verifier._jwks.jwk_set_cache is not None
    verifier._jwks.jwk_set_cache.put(None)
    with pytest.raises(Problem) as caught:
        verifier.verify(token)
    assert caught.value.status == 401
