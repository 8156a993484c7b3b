"""`pathwise token` mints JWTs the services can verify."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from pathwise_devstack.cli import main
from pathwise_devstack.devtoken import DEV_AUDIENCE, DEV_ISSUER, SECRET_ENV, write_dev_secret

pytestmark = pytest.mark.unit


def _decode(token: str, secret: str) -> dict[str, object]:
    claims: dict[str, object] = jwt.decode(
        token, secret, algorithms=["HS256"], audience=DEV_AUDIENCE, issuer=DEV_ISSUER
    )
    return claims


def test_token_with_explicit_secret(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "token",
            "--role",
            "teacher",
            "--district",
            "d1",
            "--secret",
            "s3cret-s3cret-s3cret-s3cret-s3cret-0",
        ]
    )
    assert code == 0
    claims = _decode(capsys.readouterr().out.strip(), "s3cret-s3cret-s3cret-s3cret-s3cret-0")
    assert claims["role"] == "teacher"
    assert claims["district"] == "d1"
    assert claims["sub"] == "dev-teacher"
    assert int(str(claims["exp"])) - int(str(claims["iat"])) == 3600


def test_token_uses_running_stack_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    write_dev_secret(tmp_path, "from-file-from-file-from-file-from-file")
    argv = ["token", "--role", "guardian", "--district", "d2", "--sub", "g-7", "--ttl", "60"]
    assert main([*argv, "--workdir", str(tmp_path)]) == 0
    claims = _decode(capsys.readouterr().out.strip(), "from-file-from-file-from-file-from-file")
    assert claims["sub"] == "g-7"
    assert int(str(claims["exp"])) - int(str(claims["iat"])) == 60


def test_token_without_secret_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    code = main(["token", "--role", "admin", "--district", "d1", "--workdir", str(tmp_path)])
    assert code == 2
    assert "no dev secret" in capsys.readouterr().err
