"""Statements in and out with their attachments: ``application/json`` or
``multipart/mixed`` (xAPI Communication 1.5.2)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from fastapi import Request, Response

from assessment_svc.domain import xapi, xapi_attachments
from assessment_svc.domain.xapi_attachments import HASH_HEADER, Part
from pathwise_runtime.problems import Problem

MULTIPART = "multipart/mixed"


async def read(request: Request) -> tuple[Any, dict[str, Part]]:
    """The request's statements (JSON, not yet validated) and its attachment parts."""
    kind = request.headers.get("content-type", "")
    body = await request.body()
    parts: dict[str, Part] = {}
    if kind.lower().startswith(MULTIPART):
        try:
            body, parts = xapi_attachments.split(kind, body)
        except xapi.StatementError as exc:
            raise Problem(400, str(exc), slug="invalid-statement", errors=exc.errors) from exc
    try:
        return json.loads(body), parts
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Problem(400, f"the body is not JSON: {exc}", field="body") from exc


def check(statements: list[xapi.Statement], raw: Any, parts: Mapping[str, Part]) -> None:
    """Raises StatementError unless attachments and parts match and signatures hold."""
    xapi_attachments.match(statements, dict(parts))
    bodies = raw if isinstance(raw, list) else [raw]
    xapi_attachments.check_signatures(statements, bodies, dict(parts))


def sha2s(statements: list[dict[str, Any]]) -> list[str]:
    return sorted({str(a["sha2"]).lower() for s in statements for a in s.get("attachments") or ()})


def multipart(body: Any, parts: Mapping[str, Part], headers: Mapping[str, str]) -> Response:
    """The answer as multipart/mixed: the JSON first, then each attachment by its hash."""
    boundary = secrets.token_hex(16)
    chunks = [
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
        json.dumps(body).encode(),
        b"\r\n",
    ]
    for sha2, part in sorted(parts.items()):
        chunks.append(
            f"--{boundary}\r\nContent-Type: {part.content_type}\r\n"
            f"Content-Transfer-Encoding: binary\r\n{HASH_HEADER}: {sha2}\r\n\r\n".encode()
        )
        chunks += [part.content, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return Response(
        b"".join(chunks),
        media_type=f'{MULTIPART}; boundary="{boundary}"',
        headers=dict(headers),
    )
