"""OIDC sign-in without a network: discovery, the authorization redirect, the callback."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from portal import oidc
from portal.app import create_app
from portal.security import pkce_challenge
from portal.settings import PortalSettings

pytestmark = pytest.mark.unit
ISSUER = "https://idp.test/realms/d1"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWK = jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True) | {"kid": "k1"}


def _doc() -> dict[str, Any]:
    return {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/auth",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/certs",
        "code_challenge_methods_supported": ["S256"],
    }


async def test_discovery_checks_the_issuer_and_s256() -> None:
    def answer(doc: dict[str, Any]) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: httpx.Response(200, json=doc))
        )

    async with answer(_doc()) as client:
        provider = await oidc.discover(client, ISSUER)
    assert provider.token_endpoint == f"{ISSUER}/token"
    async with answer(_doc() | {"issuer": "https://other"}) as client:
        with pytest.raises(oidc.SignInFailed, match="issuer"):
            await oidc.discover(client, ISSUER)
    async with answer(_doc() | {"code_challenge_methods_supported": ["plain"]}) as client:
        with pytest.raises(oidc.SignInFailed, match="S256"):
            await oidc.discover(client, ISSUER)


def _token(claims: dict[str, Any]) -> str:
    now = int(time.time())
    body = {"iat": now, "exp": now + 300, "iss": ISSUER} | claims
    return jwt.encode(body, KEY, algorithm="RS256", headers={"kid": "k1"})


def test_id_token_nonce_audience_and_signature() -> None:
    good = _token({"sub": "t1", "aud": "portal", "nonce": "n1"})
    assert (
        oidc.check_id_token(good, KEY.public_key(), issuer=ISSUER, client_id="portal", nonce="n1")[
            "sub"
        ]
        == "t1"
    )
    with pytest.raises(oidc.SignInFailed, match="nonce"):
        oidc.check_id_token(good, KEY.public_key(), issuer=ISSUER, client_id="portal", nonce="x")
    with pytest.raises(oidc.SignInFailed):
        oidc.check_id_token(good, KEY.public_key(), issuer=ISSUER, client_id="other", nonce="n1")


async def test_authorization_code_flow_with_pkce(monkeypatch: pytest.MonkeyPatch) -> None:
    """Redirect with S256 challenge and state; a callback with another state is refused;
    the right one exchanges the code with the verifier and signs the teacher in."""
    seen: dict[str, Any] = {}

    def idp(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(200, json=_doc())
        if request.url.path.endswith("/token"):
            form = parse_qs(request.content.decode())
            seen["verifier"] = form["code_verifier"][0]
            seen["code"] = form["code"][0]
            access = _token(
                {"sub": "tch-9", "aud": "pathwise", "role": "teacher", "district": "d1"}
            )
            id_token = _token({"sub": "tch-9", "aud": "portal", "nonce": seen["nonce"]})
            return httpx.Response(200, json={"access_token": access, "id_token": id_token})
        return httpx.Response(404)

    settings = PortalSettings(
        PATHWISE_PORTAL_OIDC_ISSUER=ISSUER,
        PATHWISE_PORTAL_OIDC_CLIENT_ID="portal",
        PATHWISE_PORTAL_SESSION_SECRET="s" * 32,
        PATHWISE_AUTH_JWKS_URL=f"{ISSUER}/certs",
        PATHWISE_PORTAL_LIVE_UPDATES=False,
        PATHWISE_PORTAL_COOKIE_SECURE=False,
    )
    monkeypatch.setattr(
        jwt.PyJWKClient, "get_signing_key_from_jwt", lambda self, token: jwt.PyJWK(JWK)
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await app.state.http.aclose()
        app.state.http = httpx.AsyncClient(transport=httpx.MockTransport(idp))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://portal") as browser:
            start = await browser.get("/signin", params={"next": "/teacher"})
            assert start.status_code == 303
            query = parse_qs(urlparse(start.headers["location"]).query)
            assert query["code_challenge_method"] == ["S256"]
            assert query["redirect_uri"] == ["http://portal/signin/callback"]
            seen["nonce"] = query["nonce"][0]
            state = query["state"][0]
            bad = await browser.get("/signin/callback", params={"code": "c", "state": "x"})
            assert bad.status_code == 400 and "code" not in seen
            query = parse_qs(urlparse((await browser.get("/signin")).headers["location"]).query)
            seen["nonce"], state = query["nonce"][0], query["state"][0]
            done = await browser.get("/signin/callback", params={"code": "c1", "state": state})
            assert done.status_code == 303 and done.headers["location"] == "/teacher"
            assert pkce_challenge(seen["verifier"]) == query["code_challenge"][0]
            cookie = done.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=lax" in cookie
