"""Development JWTs (HS256) so a running stack can be called without an identity provider."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Final

import jwt

DEV_ISSUER: Final = "pathwise-dev"
DEV_AUDIENCE: Final = "pathwise"
DEV_ALGORITHM: Final = "HS256"
SECRET_ENV: Final = "PATHWISE_AUTH_DEV_SECRET"
ROLES: Final = ("teacher", "admin", "guardian", "service", "student")


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
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    issued = int(time.time()) if now is None else now
    claims = {
        "sub": sub or f"dev-{role}",
        "role": role,
        "district": district,
        "iss": DEV_ISSUER,
        "aud": DEV_AUDIENCE,
        "iat": issued,
        "exp": issued + ttl,
    }
    return jwt.encode(claims, secret, algorithm=DEV_ALGORITHM)
