"""Who may call the standards endpoints: LRS clients by HTTP Basic, staff by bearer token.

xAPI and OneRoster clients are usually configured with a key and secret, so
Basic credentials come from ``XAPI_BASIC_CREDENTIALS`` (``key:secret:district``,
comma-separated); a Pathwise bearer token with a staff or service role works too.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pathwise_runtime.auth import Principal, TokenVerifier
from pathwise_runtime.problems import Problem

_STAFF = ("teacher", "admin", "service")


class LrsSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    basic_credentials: str = Field("", validation_alias="XAPI_BASIC_CREDENTIALS")

    def clients(self) -> dict[str, tuple[str, str]]:
        """key -> (secret, district)."""
        out: dict[str, tuple[str, str]] = {}
        for item in filter(None, (p.strip() for p in self.basic_credentials.split(","))):
            key, secret, district = [*item.split(":", 2), "", ""][:3]
            if not key or not secret or not district:
                raise RuntimeError("XAPI_BASIC_CREDENTIALS entries must be key:secret:district")
            out[key] = (secret, district)
        return out


def _basic(request: Request, token: str) -> Principal:
    try:
        key, _, secret = base64.b64decode(token, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Problem(401, "malformed Basic credentials", slug="invalid-credentials") from exc
    clients: dict[str, tuple[str, str]] = request.app.state.lrs_clients
    known = clients.get(key)
    if known is None or not hmac.compare_digest(known[0].encode(), secret.encode()):
        raise Problem(401, "unknown key or wrong secret", slug="invalid-credentials")
    return Principal(subject=f"lrs:{key}", role="service", district=known[1])


async def lrs_client(request: Request) -> Principal:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and token:
        return _basic(request, token.strip())
    if scheme.lower() == "bearer" and token:
        verifier: TokenVerifier = request.app.state.token_verifier
        who = (
            await run_in_threadpool(verifier.verify, token.strip())
            if verifier.fetches_keys
            else verifier.verify(token.strip())
        )
        if who.role not in _STAFF:
            raise Problem(403, f"role '{who.role}' may not send results")
        return who
    raise Problem(401, "send HTTP Basic credentials or a bearer token", slug="no-credentials")


Client = Annotated[Principal, Depends(lrs_client)]
