"""xAPI 1.0.3 alternate request syntax (Communication 1.3), for clients that can only POST.

A browser's cross-origin form can send nothing but a POST with a form body, so
xAPI lets it say ``POST /xapi/...?method=PUT``: the form's ``content`` is the
body, the fields named like the headers that matter are the headers, and every
other field is a query parameter. This rewrites such a request into the one it
stands for before anything else sees it, so every resource supports it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assessment_svc.domain.xapi_values import VERSION
from pathwise_runtime.problems import problem_response

FORM = "application/x-www-form-urlencoded"
METHODS = frozenset({"GET", "PUT", "POST", "DELETE"})
HEADERS = frozenset(
    {
        "authorization",
        "x-experience-api-version",
        "content-type",
        "content-length",
        "if-match",
        "if-none-match",
    }
)


class AlternateSyntax:
    """ASGI middleware for ``/xapi``; ``max_bytes`` bounds the form it reads."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith("/xapi/")
            or not any(k == "method" for k, _ in query)
        ):
            await self.app(scope, receive, send)
            return
        method = dict(query)["method"].upper()
        if len(query) != 1:
            others = sorted({k for k, _ in query} - {"method"}) or ["method"]
            detail = "with ?method=, every other parameter goes in the form body"
            await _refuse(scope, send, 400, detail, others[0])
            return
        if method not in METHODS:
            await _refuse(scope, send, 400, f"method must be one of {sorted(METHODS)}", "method")
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope["headers"]}
        kind = headers.get("content-type", b"").decode("latin-1").split(";")[0].strip().lower()
        if kind != FORM:
            await _refuse(scope, send, 400, f"?method= needs a {FORM} body", "Content-Type")
            return
        body = await _read(receive, self.max_bytes)
        if body is None:
            await _refuse(scope, send, 413, f"larger than {self.max_bytes} bytes", "body")
            return
        form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        content = b""
        params: list[tuple[str, str]] = []
        kept = {k: v for k, v in headers.items() if k not in HEADERS}
        for name, value in form:
            if name == "content":
                content = value.encode()
            elif name.lower() in HEADERS:
                kept[name.lower()] = value.encode("latin-1", "replace")
            else:
                params.append((name, value))
        kept["content-length"] = str(len(content)).encode()
        rewritten = {
            **scope,
            "method": method,
            "query_string": urlencode(params).encode(),
            "headers": [(k.encode("latin-1"), v) for k, v in kept.items()],
        }
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": content, "more_body": False}

        await self.app(rewritten, replay, send)


async def _read(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _refuse(scope: Scope, send: Send, status: int, detail: str, field: str) -> None:
    response = problem_response(
        status, detail, slug="xapi-alternate-syntax", instance=scope.get("path"), field=field
    )
    response.headers["X-Experience-API-Version"] = VERSION

    async def nothing() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, nothing, send)
