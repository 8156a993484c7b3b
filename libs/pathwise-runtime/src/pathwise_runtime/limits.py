"""Bounded request bodies on every HTTP endpoint: size (413) and JSON nesting depth (400).

A vendor's batch or a roster package is large by design; a 2 GB body or a
JSON document nested a hundred thousand levels deep is an attack on the
parser. Documents (JSON, forms, anything but a package) get
``HTTP_MAX_DOCUMENT_BYTES``; packages (zip, octet-stream) get
``HTTP_MAX_PACKAGE_BYTES``. Either way the answer is an RFC 9457 problem
naming ``body``, before the route reads a byte, so nothing else is lost.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pathwise_runtime.problems import problem_response
from pathwise_runtime.settings import ServiceSettings

PACKAGES = frozenset(
    {"application/zip", "application/x-zip-compressed", "application/octet-stream"}
)
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(body: bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest (strings do not count)."""
    deepest = depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub(b'""', body)):
        if bracket.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _is_json(kind: str) -> bool:
    return kind == "application/json" or kind.endswith("+json")


class RequestLimits:
    """ASGI middleware: refuses an oversized or too deeply nested body with a problem."""

    def __init__(
        self, app: ASGIApp, *, max_document_bytes: int, max_package_bytes: int, max_depth: int
    ) -> None:
        self.app = app
        self.max_document = max_document_bytes
        self.max_package = max_package_bytes
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        limit = self.max_package if kind in PACKAGES else self.max_document
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, send, 413, f"body: larger than {limit} bytes")
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, send, 413, f"body: larger than {limit} bytes")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if _is_json(kind) and json_depth(body) > self.max_depth:
            detail = f"body: JSON nested deeper than {self.max_depth} levels"
            await self._refuse(scope, send, 400, detail)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # only a disconnect is left to hear
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, status: int, detail: str) -> None:
        slug = "body-too-large" if status == 413 else "body-too-deep"
        response = problem_response(
            status,
            detail,
            slug=slug,
            instance=scope.get("path"),
            errors=[{"field": "body", "detail": detail.removeprefix("body: ")}],
        )

        async def nothing() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, nothing, send)


def install(app: FastAPI, settings: ServiceSettings) -> None:
    """Bound every request body of ``app`` by the settings' limits."""
    app.add_middleware(
        RequestLimits,
        max_document_bytes=settings.http_max_document_bytes,
        max_package_bytes=settings.http_max_package_bytes,
        max_depth=settings.http_max_json_depth,
    )
