"""Bearer-token authentication shared by every service.

Production validates JWTs against the district identity provider's JWKS; the
embedded stack uses a development secret that ``pathwise token`` signs with.
Handlers receive the caller's role and district, never the raw token.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from pathwise_runtime.problems import Problem
from pathwise_runtime.settings import ServiceSettings

ROLES = ("admin", "teacher", "guardian", "student", "service")
DEV_ISSUER = "pathwise-dev"
DEV_AUDIENCE = "pathwise"


def mint_dev_token(
    secret: str,
    *,
    role: str,
    district: str,
    sub: str,
    ttl: int = 3600,
    now: int | None = None,
    purpose: str | None = None,
) -> str:
    """A development token (HS256, issuer ``pathwise-dev``) that ``TokenVerifier`` accepts.

    For processes that act for someone on the embedded stack without an identity
    provider (the portal's development sign-in); production tokens come from the IdP.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    issued = int(time.time()) if now is None else now
    claims = {
        "sub": sub,
        "role": role,
        "district": district,
        "iss": DEV_ISSUER,
        "aud": DEV_AUDIENCE,
        "iat": issued,
        "exp": issued + ttl,
    }
    if purpose:
        claims["purpose"] = purpose
    return jwt.encode(claims, secret, algorithm="HS256")


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    role: str
    district: str
    purpose: str | None = None
    """The token's ``purpose`` claim: what a narrowly issued token is for (a record export)."""


class TokenVerifier:
    def __init__(self, settings: ServiceSettings) -> None:
        self._audience = settings.auth_audience
        self._issuer = settings.auth_issuer
        self._jwks = jwt.PyJWKClient(settings.auth_jwks_url) if settings.auth_jwks_url else None
        secret = settings.auth_dev_secret
        self._dev_secret = secret.get_secret_value() if secret else None
        if not self._jwks and not self._dev_secret:
            raise RuntimeError(
                "no token verification configured: set PATHWISE_AUTH_JWKS_URL "
                "(production) or PATHWISE_AUTH_DEV_SECRET (development)"
            )
        if self._jwks and not self._issuer:
            # Without it any issuer the JWKS happens to sign for would be believed.
            raise RuntimeError(
                "PATHWISE_AUTH_ISSUER is required with PATHWISE_AUTH_JWKS_URL: "
                "tokens are accepted only from the identity provider named there"
            )
        self._verified: dict[str, _Verified] = {}

    @property
    def fetches_keys(self) -> bool:
        """Whether ``verify`` may block on the network (JWKS keys are fetched on a miss)."""
        return self._jwks is not None

    def verify(self, token: str) -> Principal:
        """The token's caller; a token verified before is answered from memory.

        An entry holds until the token's ``exp`` and, with a JWKS, only while the
        same key object verifies it: a re-fetched key set (a rotation) re-verifies.
        """
        try:
            key = self._jwks.get_signing_key_from_jwt(token).key if self._jwks else None
            known = self._verified.get(token)
            if known is not None and known.key is key and time.time() < known.expires:
                return known.principal
            claims = self._decode(token, key)
        except jwt.PyJWTError as exc:
            self._verified.pop(token, None)
            raise Problem(401, f"invalid bearer token: {exc}", slug="invalid-token") from exc
        found = _principal_of(claims)
        if len(self._verified) >= _MAX_VERIFIED:
            now = time.time()
            self._verified = {t: v for t, v in self._verified.items() if now < v.expires}
            if len(self._verified) >= _MAX_VERIFIED:
                self._verified.clear()
        self._verified[token] = _Verified(found, int(claims["exp"]), key)
        return found

    def _decode(self, token: str, key: Any) -> dict[str, Any]:
        options: Any = {"require": ["exp", "sub"]}
        if self._jwks:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256", "ES256", "PS256", "EdDSA"],
                audience=self._audience,
                issuer=self._issuer,
                options=options,
            )
            return claims
        claims = jwt.decode(
            token,
            self._dev_secret or "",
            algorithms=["HS256"],
            audience=self._audience,
            issuer=DEV_ISSUER,
            options=options,
        )
        return claims


# Tokens a process remembers as verified; beyond it expired ones go, then all.
_MAX_VERIFIED = 10_000


@dataclass(frozen=True, slots=True)
class _Verified:
    principal: Principal
    expires: int
    key: Any


def _principal_of(claims: dict[str, Any]) -> Principal:
    role, district = claims.get("role"), claims.get("district")
    if role not in ROLES or not isinstance(district, str) or not district:
        raise Problem(
            401, "token must carry a known 'role' and a 'district' claim", slug="invalid-token"
        )
    purpose = claims.get("purpose")
    return Principal(
        subject=str(claims["sub"]),
        role=role,
        district=district,
        purpose=purpose if isinstance(purpose, str) and purpose else None,
    )


async def principal(request: Request) -> Principal:
    """The caller, verified on the event loop unless keys may have to be fetched.

    A plain ``def`` dependency costs every request a hop to FastAPI's thread pool;
    only verification against a JWKS can block (a key fetch over HTTP on a miss).
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "missing bearer token (Authorization: Bearer <jwt>)", slug="no-token")
    verifier: TokenVerifier = request.app.state.token_verifier
    if verifier.fetches_keys:
        return await run_in_threadpool(verifier.verify, token.strip())
    return verifier.verify(token.strip())


CurrentPrincipal = Annotated[Principal, Depends(principal)]


def require_role(*roles: str) -> Any:
    """A dependency that admits only callers with one of ``roles``."""

    async def check(who: CurrentPrincipal) -> Principal:
        if who.role not in roles:
            raise Problem(403, f"role '{who.role}' may not do this; needs one of {list(roles)}")
        return who

    return Depends(check)


# The callers every service names the same way; one definition keeps their rights alike.
Staff = Annotated[Principal, require_role("teacher", "admin", "service")]
Teacher = Annotated[Principal, require_role("teacher", "admin")]
Admin = Annotated[Principal, require_role("admin")]
AdminOrService = Annotated[Principal, require_role("admin", "service")]
Service = Annotated[Principal, require_role("service")]
