"""A local stand-in for SMS providers, so notify-svc sends real SMS requests in dev.

It speaks Twilio's Messages API (form-encoded ``POST
/2010-04-01/Accounts/{sid}/Messages.json`` with basic auth, Twilio-shaped
errors) and Vonage's SMS API (``POST /sms/json``, key and secret in the form,
the SID and token doubling as them). Like the SMTP sink, it appends each
accepted message as one JSON line to a file other processes read (``pathwise
demo``, tests). When a Twilio message names a ``StatusCallback`` the sink
reports it ``delivered`` there, signed with ``X-Twilio-Signature`` as the
provider would. ``GET /`` lists the messages.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

import httpx
import uvicorn
from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from pathwise_devstack.ports import LOOPBACK, free_port

log = logging.getLogger(__name__)
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def _signature(token: str, url: str, params: dict[str, str]) -> str:
    payload = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(
        hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    ).decode()


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"code": code, "message": message, "status": status, "more_info": ""}, status_code=status
    )


def _vonage_error(status: str, text: str) -> JSONResponse:
    # Vonage refuses a message with HTTP 200 and a non-zero per-message status.
    return JSONResponse(
        {"message-count": "1", "messages": [{"status": status, "error-text": text}]}
    )


class SmsSink:
    """The fake provider on a free loopback port, recording every message it accepts."""

    def __init__(
        self,
        outbox: Path,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        port: int | None = None,
    ) -> None:
        self.outbox = outbox
        self.host = LOOPBACK
        self.port = port if port is not None else free_port()
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        self.auth_token = auth_token or secrets.token_hex(16)
        self._messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = self._build()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Messages accepted so far (a copy)."""
        with self._lock:
            return list(self._messages)

    def _authorised(self, request: Request, sid: str) -> bool:
        header = request.headers.get("authorization", "")
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return sid == self.account_sid and hmac.compare_digest(header, f"Basic {expected}")

    def _build(self) -> FastAPI:
        app = FastAPI(title="Pathwise SMS sink", docs_url=None, redoc_url=None)

        @app.post("/2010-04-01/Accounts/{sid}/Messages.json")
        async def create(sid: str, request: Request, tasks: BackgroundTasks) -> JSONResponse:
            if not self._authorised(request, sid):
                return _error(401, 20003, "Authenticate")
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            to, body = form.get("To", ""), form.get("Body", "")
            sender = form.get("From") or form.get("MessagingServiceSid") or ""
            if not E164.match(to):
                return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
            if not sender:
                return _error(400, 21603, "A 'From' or 'MessagingServiceSid' is required.")
            if not body:
                return _error(400, 21602, "Message body is required.")
            record = self._keep(to, sender, body, form.get("StatusCallback"))
            if record["status_callback"]:
                tasks.add_task(self._report, record)
            return JSONResponse(record, status_code=201)

        @app.post("/sms/json")
        async def vonage(request: Request) -> JSONResponse:
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            key, secret = form.get("api_key", ""), form.get("api_secret", "")
            if key != self.account_sid or not hmac.compare_digest(secret, self.auth_token):
                return _vonage_error("4", "Bad Credentials")
            to, text, sender = form.get("to", ""), form.get("text", ""), form.get("from", "")
            if not to or not text or not sender:
                return _vonage_error("2", "Missing to, from or text param")
            if not E164.match("+" + to):
                return _vonage_error("3", "Invalid to param")
            record = self._keep("+" + to, sender, text, None)
            message = {"to": to, "message-id": record["sid"], "status": "0"}
            return JSONResponse({"message-count": "1", "messages": [message]})

        @app.get("/messages")
        async def listing() -> list[dict[str, Any]]:
            return self.messages

        @app.get("/", response_class=HTMLResponse)
        async def page() -> HTMLResponse:
            rows = "".join(
                f"<tr><td>{escape(m['date_created'])}</td><td>{escape(m['to'])}</td>"
                f"<td>{escape(m['body'])}</td></tr>"
                for m in reversed(self.messages)
            )
            return HTMLResponse(
                "<!doctype html><html><head><meta charset='utf-8'><title>SMS sink</title></head>"
                f"<body><h1>SMS sent ({len(self.messages)})</h1><table>"
                f"<tr><th>When</th><th>To</th><th>Text</th></tr>{rows}</table></body></html>"
            )

        return app

    def _keep(self, to: str, sender: str, body: str, status_callback: str | None) -> dict[str, Any]:
        """Record one accepted message in memory and in the outbox file."""
        record = {
            "sid": "SM" + secrets.token_hex(16),
            "account_sid": self.account_sid,
            "to": to,
            "from": sender,
            "body": body,
            "status": "queued",
            "status_callback": status_callback,
            "date_created": datetime.now(UTC).isoformat(),
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self._messages.append(record)
            with self.outbox.open("a", encoding="utf-8") as handle:
                handle.write(line)
        return record

    async def _report(self, record: dict[str, Any]) -> None:
        """Tell the sender the message was delivered, signed like the provider signs."""
        url = str(record["status_callback"])
        params = {
            "AccountSid": self.account_sid,
            "MessageSid": record["sid"],
            "MessageStatus": "delivered",
            "To": record["to"],
            "From": record["from"],
        }
        headers = {"X-Twilio-Signature": _signature(self.auth_token, url, params)}
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                await client.post(url, data=params, headers=headers)
        except httpx.HTTPError as exc:
            log.info("status callback not delivered", extra={"error": type(exc).__name__})

    def start(self) -> Self:
        """Create the outbox file and serve on a thread of its own."""
        if self._server is not None:
            return self
        self.outbox.parent.mkdir(parents=True, exist_ok=True)
        self.outbox.touch()
        config = uvicorn.Config(
            self.app, host=self.host, port=self.port, log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"SMS sink did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving; the outbox file stays for later inspection."""
        server, self._server = self._server, None
        if server is not None:
            server.should_exit = True
            if self._thread is not None:
                self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def read_outbox(path: Path) -> list[dict[str, Any]]:
    """Parse an outbox file written by `SmsSink` (missing file: no message)."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
