"""The SMS provider port and its adapters: Twilio, Vonage (SMS API) and an in-memory fake.

The sender talks to ``SmsProvider`` only, so the provider is a setting and the
contract tests can run the same cases against every adapter (pointed at the
development sink) and the fake. ``SmsFailed`` carries whether retrying can help,
like ``mail.SendFailed`` does for SMTP.
"""

from __future__ import annotations

import functools
import itertools
import ssl
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from notify_svc.domain.segments import is_gsm7


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every request: building one costs ~40 ms of CPU (CA bundle)."""
    return httpx.create_ssl_context()


@dataclass(frozen=True, slots=True)
class Sms:
    """One outgoing text. ``status_callback`` is where the provider reports delivery."""

    to: str
    body: str
    status_callback: str | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    """The provider took the message; ``provider_id`` names it in status callbacks."""

    provider_id: str
    status: str


class SmsFailed(Exception):
    """The provider did not take the message; ``permanent`` means retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmsProvider(Protocol):
    """Hands one text to a provider."""

    async def send(self, sms: Sms) -> Accepted: ...


@dataclass(frozen=True, slots=True)
class TwilioCredentials:
    account_sid: str
    auth_token: str
    sender: str = field(default="", repr=False)
    messaging_service_sid: str | None = None


class TwilioSms:
    """Twilio's Messages API: form-encoded POST with HTTP basic auth (account SID, token)."""

    def __init__(
        self,
        base_url: str,
        credentials: TwilioCredentials,
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not credentials.sender and not credentials.messaging_service_sid:
            raise ValueError("SMS_FROM or SMS_MESSAGING_SERVICE_SID: one is required")
        self._base = base_url.rstrip("/")
        self._credentials = credentials
        self._timeout = timeout_s
        self._transport = transport

    async def send(self, sms: Sms) -> Accepted:
        c = self._credentials
        form = {"To": sms.to, "Body": sms.body}
        if c.messaging_service_sid:
            form["MessagingServiceSid"] = c.messaging_service_sid
        else:
            form["From"] = c.sender
        if sms.status_callback:
            form["StatusCallback"] = sms.status_callback
        url = f"{self._base}/2010-04-01/Accounts/{c.account_sid}/Messages.json"
        try:
            async with httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport, verify=_tls()
            ) as h:
                answer = await h.post(url, data=form, auth=(c.account_sid, c.auth_token))
        except httpx.HTTPError as exc:
            raise SmsFailed(
                f"provider unreachable ({type(exc).__name__})", permanent=False
            ) from exc
        if answer.status_code in (200, 201):
            body = answer.json()
            return Accepted(provider_id=str(body["sid"]), status=str(body.get("status", "queued")))
        try:
            detail = answer.json()
            reason = f"{detail.get('code', '')} {detail.get('message', '')}".strip()
        except ValueError:
            reason = answer.reason_phrase
        # 429 and 5xx pass; other 4xx (bad number, auth) will not pass on a retry.
        permanent = 400 <= answer.status_code < 500 and answer.status_code != 429
        raise SmsFailed(f"{answer.status_code} {reason}", permanent=permanent)


# Vonage SMS API statuses a retry can get past: throttled, internal error, too many binds.
VONAGE_TRANSIENT = frozenset({"1", "5", "10"})


@dataclass(frozen=True, slots=True)
class VonageCredentials:
    api_key: str
    api_secret: str = field(repr=False)
    sender: str = ""


class VonageSms:
    """Vonage's SMS API: form POST to ``{base}/sms/json``, key and secret in the form.

    Vonage answers 200 even when it refuses a message; the per-message
    ``status`` says ("0" is accepted). Numbers go without the leading "+".
    ``status_callback`` becomes the ``callback`` parameter, which overrides the
    account's delivery-receipt URL for this message; receipts are signed with
    the account's signature secret (see ``domain.signature``).
    """

    def __init__(
        self,
        base_url: str,
        credentials: VonageCredentials,
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not credentials.sender:
            raise ValueError("SMS_FROM is required for Vonage")
        self._base = base_url.rstrip("/")
        self._credentials = credentials
        self._timeout = timeout_s
        self._transport = transport

    async def send(self, sms: Sms) -> Accepted:
        c = self._credentials
        form = {
            "api_key": c.api_key,
            "api_secret": c.api_secret,
            "from": c.sender.lstrip("+"),
            "to": sms.to.removeprefix("+"),
            "text": sms.body,
        }
        if not is_gsm7(sms.body):
            form["type"] = "unicode"
        if sms.status_callback:
            form["callback"] = sms.status_callback
        try:
            async with httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport, verify=_tls()
            ) as h:
                answer = await h.post(f"{self._base}/sms/json", data=form)
        except httpx.HTTPError as exc:
            raise SmsFailed(
                f"provider unreachable ({type(exc).__name__})", permanent=False
            ) from exc
        if answer.status_code != 200:
            permanent = 400 <= answer.status_code < 500 and answer.status_code != 429
            raise SmsFailed(f"{answer.status_code} {answer.reason_phrase}", permanent=permanent)
        messages = answer.json().get("messages") or [{}]
        first = messages[0]
        status = str(first.get("status", ""))
        if status != "0":
            reason = f"{status} {first.get('error-text', 'refused')}"
            raise SmsFailed(reason, permanent=status not in VONAGE_TRANSIENT)
        return Accepted(provider_id=str(first["message-id"]), status="queued")


class FakeSms:
    """In-memory provider for tests: keeps what was sent; can be told to refuse numbers."""

    def __init__(self) -> None:
        self.sent: list[tuple[Accepted, Sms]] = []
        self.refuse: dict[str, bool] = {}  # number -> permanent?
        self._ids = itertools.count(1)

    async def send(self, sms: Sms) -> Accepted:
        if not sms.to.startswith("+") or not sms.to[1:].isdigit():
            raise SmsFailed("21211 invalid 'To' phone number", permanent=True)
        if not sms.body:
            raise SmsFailed("21602 message body is required", permanent=True)
        if sms.to in self.refuse:
            raise SmsFailed("provider refused", permanent=self.refuse[sms.to])
        accepted = Accepted(provider_id=f"SM{next(self._ids):032x}", status="queued")
        self.sent.append((accepted, sms))
        return accepted
