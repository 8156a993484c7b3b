"""The xAPI version header: every ``/xapi`` request names 1.0.x, every answer says 1.0.3.

Pure ASGI rather than ``BaseHTTPMiddleware``: the other routes (the result
ingest above all) pass straight through instead of paying for a task group and
a re-streamed response on every request.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assessment_svc.domain.xapi_values import VERSION
from pathwise_runtime.problems import problem_response

HEADER = "X-Experience-API-Version"


class Versioned:
    """Refuses an ``/xapi`` request without a 1.0.x version; stamps every answer of ``/xapi``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/xapi"):
            await self.app(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = VERSION
            await send(message)

        asked = Headers(scope=scope).get(HEADER)
        if scope["path"] != "/xapi/about" and (asked is None or not asked.startswith("1.0")):
            refusal = problem_response(
                400,
                f"the {HEADER} header must name version 1.0.x",
                slug="xapi-version",
                field=HEADER,
            )
            await refusal(scope, receive, stamped)
            return
        await self.app(scope, receive, stamped)
