"""A local stand-in for SMS providers, so notify-svc sends real SMS requests in dev.

It speaks Twilio's Messages API (form-encoded ``POST
/2010-04-01/Accounts/{sid}/Messages.json`` with basic auth, Twilio-shaped
errors) and Vonage's SMS API (``POST /sms/json``, key and secret in the form,
the SID and token doubling as them). Like the SMTP sink, it appends each
accepted message as one JSON line to a file other processes read (``pathwise
demo``, tests). ``GET /`` lists the messages. Sent messages can be looked up as
at the providers: Twilio's ``GET .../Messages.json?To=`` and Vonage's Reports
API (``GET /v2/reports/records``, with each message's ``client-ref``).

It calls back as the providers do, signed as they sign: a Twilio message's
``StatusCallback`` gets ``delivered`` with ``X-Twilio-Signature``; a Vonage
message's ``callback`` gets a delivery receipt carrying ``sig`` (the signature
secret, the auth token unless given, with ``signature_method``). ``inbound``
(and ``POST /inbound``) plays a family's reply to a webhook, signed the same
way, so STOP can be tried by hand.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import logging
import re
import secrets
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl

import httpx
from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from pathwise_devstack.ports import LOOPBACK, free_port
from pathwise_devstack.sinks import HttpThread, JsonLines, Sink, read_json_lines, sink_page

log = logging.getLogger(__name__)
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
Provider = Literal["twilio", "vonage"]
VONAGE_METHODS = ("md5hash", "md5", "sha1", "sha256", "sha512")


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every callback: building one per request (httpx's default)
    costs tens of milliseconds of CPU, more than everything else a message costs here."""
    return httpx.create_ssl_context()


def _signature(token: str, url: str, params: dict[str, str]) -> str:
    """Twilio: base64 HMAC-SHA1 of the URL and the parameters sorted by name."""
    payload = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(
        hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    ).decode()


def vonage_sig(secret: str, params: dict[str, str], method: str) -> str:
    """Vonage SMS API: ``&name=value`` sorted by name (``&``/``=`` in values as ``_``)."""
    payload = "".join(
        f"&{k}={params[k].replace('&', '_').replace('=', '_')}"
        for k in sorted(params)
        if k != "sig"
    ).encode()
    if method == "md5hash":
        return hashlib.md5(payload + secret.encode(), usedforsecurity=False).hexdigest()
    return hmac.new(secret.encode(), payload, method).hexdigest()


class Reply(BaseModel):
    """A family's text to play to a webhook (``POST /inbound``)."""

    url: str = Field(min_length=1, description="The service's inbound webhook URL.")
    sender: str = Field(alias="from", pattern=E164.pattern, description="E.164 number.")
    text: str
    provider: Provider = "twilio"


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"code": code, "message": message, "status": status, "more_info": ""}, status_code=status
    )


def _vonage_error(status: str, text: str) -> JSONResponse:
    # Vonage refuses a message with HTTP 200 and a non-zero per-message status.
    return JSONResponse(
        {"message-count": "1", "messages": [{"status": status, "error-text": text}]}
    )


class SmsSink(Sink):
    """The fake provider on a free loopback port, recording every message it accepts."""

    def __init__(
        self,
        outbox: Path,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        port: int | None = None,
        signature_secret: str | None = None,
        signature_method: str = "sha256",
        latency_s: float = 0.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if signature_method not in VONAGE_METHODS:
            raise ValueError(f"signature_method must be one of {', '.join(VONAGE_METHODS)}")
        super().__init__(JsonLines(outbox))
        self.outbox = outbox
        self.host = LOOPBACK
        self.port = port if port is not None else free_port()
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        self.auth_token = auth_token or secrets.token_hex(16)
        self.signature_secret = signature_secret or self.auth_token
        self.signature_method = signature_method
        # Time between recording a message and answering, like a provider's round trip: a
        # sender killed in that window sent a text it never heard back about.
        self.latency_s = latency_s
        # When a message is recorded as created; a test moving its sender's clock moves this.
        self.clock = clock or (lambda: datetime.now(UTC))
        self.app = self._build()
        self._http = HttpThread(self.app, self.host, self.port, "SMS sink")

    @property
    def url(self) -> str:
        return self._http.url

    @property
    def busy(self) -> bool:
        """Still serving a request: what a sender sent before it died may yet be recorded."""
        return self._http.busy

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
            record = self._keep(to, sender, body, form.get("StatusCallback"), "twilio", None)
            if record["status_callback"]:
                tasks.add_task(self._report, record)
            await asyncio.sleep(self.latency_s)
            return JSONResponse(record, status_code=201)

        @app.post("/sms/json")
        async def vonage(request: Request, tasks: BackgroundTasks) -> JSONResponse:
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            key, secret = form.get("api_key", ""), form.get("api_secret", "")
            if key != self.account_sid or not hmac.compare_digest(secret, self.auth_token):
                return _vonage_error("4", "Bad Credentials")
            to, text, sender = form.get("to", ""), form.get("text", ""), form.get("from", "")
            if not to or not text or not sender:
                return _vonage_error("2", "Missing to, from or text param")
            if not E164.match("+" + to):
                return _vonage_error("3", "Invalid to param")
            callback, ref = form.get("callback"), form.get("client-ref")
            record = self._keep("+" + to, sender, text, callback, "vonage", ref)
            if record["status_callback"]:
                tasks.add_task(self._report, record)
            await asyncio.sleep(self.latency_s)
            message = {"to": to, "message-id": record["sid"], "status": "0"}
            return JSONResponse({"message-count": "1", "messages": [message]})

        @app.get("/2010-04-01/Accounts/{sid}/Messages.json")
        async def twilio_list(sid: str, request: Request, To: str = "") -> JSONResponse:
            if not self._authorised(request, sid):
                return _error(401, 20003, "Authenticate")
            listed = [
                {**m, "date_created": format_datetime(datetime.fromisoformat(m["date_created"]))}
                for m in reversed(self.messages)
                if m.get("provider", "twilio") == "twilio" and (not To or m["to"] == To)
            ]
            return JSONResponse({"messages": listed, "page": 0, "page_size": len(listed)})

        @app.get("/v2/reports/records")
        async def vonage_records(request: Request, account_id: str = "") -> JSONResponse:
            expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
            header = request.headers.get("authorization", "")
            if account_id != self.account_sid or not hmac.compare_digest(
                header, f"Basic {expected}"
            ):
                return JSONResponse({"title": "Unauthorized"}, status_code=401)
            records = [
                {
                    "message_id": m["sid"],
                    "client_ref": m.get("client_ref"),
                    "to": m["to"].lstrip("+"),
                    "status": "delivered",
                    "date_received": m["date_created"],
                }
                for m in self.messages
                if m.get("provider") == "vonage"
            ]
            return JSONResponse({"records": records, "request_status": "SUCCESS"})

        @app.post("/inbound")
        async def reply(message: Reply) -> JSONResponse:
            status = await self.inbound(
                message.url, message.sender, message.text, provider=message.provider
            )
            return JSONResponse({"webhook_status": status})

        @app.get("/messages")
        async def listing() -> list[dict[str, Any]]:
            return self.messages

        @app.get("/", response_class=HTMLResponse)
        async def page() -> HTMLResponse:
            rows = [
                (m["date_created"], m["to"], m.get("provider", "twilio"), m["body"])
                for m in reversed(self.messages)
            ]
            return HTMLResponse(sink_page("SMS sent", ("When", "To", "Provider", "Text"), rows))

        return app

    def _keep(
        self,
        to: str,
        sender: str,
        body: str,
        status_callback: str | None,
        provider: str,
        client_ref: str | None,
    ) -> dict[str, Any]:
        """Record one accepted message in memory and in the outbox file."""
        record = {
            "sid": "SM" + secrets.token_hex(16),
            "account_sid": self.account_sid,
            "provider": provider,
            "to": to,
            "from": sender,
            "body": body,
            "status": "queued",
            "status_callback": status_callback,
            "client_ref": client_ref,
            "date_created": self.clock().isoformat(),
        }
        self._records.append(record)
        return record

    def _vonage_signed(self, params: dict[str, str]) -> dict[str, str]:
        signed = {**params, "timestamp": str(int(time.time())), "nonce": secrets.token_hex(8)}
        signed["sig"] = vonage_sig(self.signature_secret, signed, self.signature_method)
        return signed

    def _signed(self, provider: str, url: str, params: dict[str, str]) -> dict[str, Any]:
        """The request as the provider would make it: form data and signature."""
        if provider == "vonage":
            return {"data": self._vonage_signed(params)}
        return {
            "data": params,
            "headers": {"X-Twilio-Signature": _signature(self.auth_token, url, params)},
        }

    async def _report(self, record: dict[str, Any]) -> None:
        """Tell the sender the message was delivered, signed like the provider signs."""
        url = str(record["status_callback"])
        if record["provider"] == "vonage":
            params = {
                "msisdn": str(record["to"]).lstrip("+"),
                "to": str(record["from"]),
                "messageId": str(record["sid"]),
                **({"client-ref": str(record["client_ref"])} if record.get("client_ref") else {}),
                "status": "delivered",
                "err-code": "0",
                "api-key": self.account_sid,
                "message-timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            }
        else:
            params = {
                "AccountSid": self.account_sid,
                "MessageSid": record["sid"],
                "MessageStatus": "delivered",
                "To": record["to"],
                "From": record["from"],
            }
        await self._call(url, self._signed(str(record["provider"]), url, params))

    async def inbound(self, url: str, sender: str, text: str, *, provider: Provider) -> int:
        """A family texts ``text`` from ``sender``: call the service's inbound webhook, signed."""
        if provider == "vonage":
            params = {
                "msisdn": sender.lstrip("+"),
                "to": "0",
                "messageId": "IN" + secrets.token_hex(12),
                "text": text,
                "type": "text",
                "keyword": text.strip().split(" ")[0].upper() if text.strip() else "",
                "api-key": self.account_sid,
                "message-timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            }
        else:
            params = {
                "AccountSid": self.account_sid,
                "MessageSid": "SM" + secrets.token_hex(16),
                "From": sender,
                "To": "0",
                "Body": text,
            }
        return await self._call(url, self._signed(provider, url, params))

    async def _call(self, url: str, request: dict[str, Any]) -> int:
        try:
            async with httpx.AsyncClient(timeout=5, verify=_tls()) as client:
                answer = await client.post(url, **request)
        except httpx.HTTPError as exc:
            log.info("webhook not delivered", extra={"error": type(exc).__name__})
            return 0
        return answer.status_code

    def _serve(self) -> None:
        self._http.start()

    def _shutdown(self) -> None:
        self._http.stop()


def read_outbox(path: Path) -> list[dict[str, Any]]:
    """Parse an outbox file written by `SmsSink` (missing file: no message)."""
    return read_json_lines(path)
