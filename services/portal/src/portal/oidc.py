"""OpenID Connect sign-in: authorization code flow with PKCE (S256), state and nonce.

The provider is found by discovery (``<issuer>/.well-known/openid-configuration``).
The browser is sent to the authorization endpoint with a fresh ``state``,
``nonce`` and code challenge, all remembered in the (signed) session; the
callback is accepted only with the same ``state``, the code is exchanged with
the verifier, and the ID token's signature, issuer, audience and nonce are
checked. The access token is what the portal then sends to the services,
which verify it against the same identity provider's keys; its ``role`` and
``district`` claims decide what the user sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt


class SignInFailed(Exception):
    """The provider's answer cannot be trusted or used; the detail says why."""


@dataclass(frozen=True, slots=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None = None


async def discover(client: httpx.AsyncClient, issuer: str) -> Provider:
    """Read and check the discovery document (its issuer must be the configured one)."""
    url = f"{issuer.rstrip('/')}/.well-known/openid-configuration"
    try:
        response = await client.get(url)
        response.raise_for_status()
        doc = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise SignInFailed(f"discovery at {url} failed: {error}") from error
    if doc.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
        raise SignInFailed(f"discovery issuer {doc.get('issuer')!r} is not {issuer!r}")
    methods = doc.get("code_challenge_methods_supported")
    if methods is not None and "S256" not in methods:
        raise SignInFailed("the provider does not support PKCE with S256")
    try:
        return Provider(
            issuer=doc["issuer"],
            authorization_endpoint=doc["authorization_endpoint"],
            token_endpoint=doc["token_endpoint"],
            jwks_uri=doc["jwks_uri"],
            end_session_endpoint=doc.get("end_session_endpoint"),
        )
    except KeyError as missing:
        raise SignInFailed(f"discovery document lacks {missing}") from None


def authorization_url(
    provider: Provider,
    *,
    client_id: str,
    redirect_uri: str,
    scope: str,
    state: str,
    nonce: str,
    challenge: str,
) -> str:
    """Where to send the browser to sign in."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in provider.authorization_endpoint else "?"
    return f"{provider.authorization_endpoint}{separator}{query}"


async def exchange(
    client: httpx.AsyncClient,
    provider: Provider,
    *,
    code: str,
    redirect_uri: str,
    verifier: str,
    client_id: str,
    client_secret: str | None,
) -> dict[str, Any]:
    """Trade the code (with the PKCE verifier) for tokens at the token endpoint."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        "client_id": client_id,
    }
    try:
        if client_secret:
            auth = httpx.BasicAuth(client_id, client_secret)
            response = await client.post(provider.token_endpoint, data=form, auth=auth)
        else:  # a public client: PKCE alone proves the code is ours
            response = await client.post(provider.token_endpoint, data=form)
    except httpx.HTTPError as error:
        raise SignInFailed(f"token endpoint unreachable: {error}") from error
    if response.status_code != 200:
        raise SignInFailed(f"token endpoint refused the code: {response.status_code}")
    tokens: dict[str, Any] = response.json()
    if not tokens.get("access_token"):
        raise SignInFailed("the token response has no access_token")
    return tokens


def check_id_token(
    id_token: str, key: Any, *, issuer: str, client_id: str, nonce: str
) -> dict[str, Any]:
    """Signature, issuer, audience, expiry and our nonce; the claims if all hold."""
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key,
            algorithms=["RS256", "ES256", "PS256", "EdDSA"],
            audience=client_id,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.PyJWTError as error:
        raise SignInFailed(f"ID token rejected: {error}") from error
    if claims.get("nonce") != nonce:
        raise SignInFailed("ID token nonce does not match this sign-in")
    return claims
