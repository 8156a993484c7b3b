"""Development JWTs (HS256) so a running stack can be called without an identity provider."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Final

from pathwise_runtime.auth import DEV_AUDIENCE as DEV_AUDIENCE
from pathwise_runtime.auth import DEV_ISSUER as DEV_ISSUER
from pathwise_runtime.auth import ROLES as ROLES
from pathwise_runtime.auth import mint_dev_token

SECRET_ENV: Final = "PATHWISE_AUTH_DEV_SECRET"


def new_dev_secret() -> str:
    """A fresh random secret per stack run, so tokens never outlive their stack."""
    return secrets.token_urlsafe(32)


def dev_secret_path(workdir: Path) -> Path:
    """Where `pathwise up` leaves the secret for a second terminal."""
    return workdir / ".pathwise" / "dev-secret"


def write_dev_secret(workdir: Path, secret: str) -> Path:
    """Store the secret readable by the owner only."""
    path = dev_secret_path(workdir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret)
    return path


def find_dev_secret(workdir: Path, explicit: str | None = None) -> str:
    """The secret from the flag, the environment or the running stack's file, in that order."""
    if explicit:
        return explicit
    from_env = os.environ.get(SECRET_ENV)
    if from_env:
        return from_env
    path = dev_secret_path(workdir)
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    raise LookupError(
        f"no dev secret: pass --secret, set {SECRET_ENV}, "
        f"or run `pathwise up` in {workdir} (it writes {path})"
    )


def mint_token(
    secret: str,
    *,
    role: str,
    district: str,
    sub: str | None = None,
    ttl: int = 3600,
    now: int | None = None,
) -> str:
    """Sign the claims the services verify: sub, role, district, iss, aud, iat, exp."""
    return mint_dev_token(
        secret, role=role, district=district, sub=sub or f"dev-{role}", ttl=ttl, now=now
    )
