"""The SMS provider port and its adapters: Twilio, Vonage (SMS API) and an in-memory fake.

The sender talks to ``SmsProvider`` only, so the provider is a setting and the
contract tests can run the same cases against every adapter (pointed at the
development sink) and the fake. ``SmsFailed`` carries whether retrying can help,
like ``mail.SendFailed`` does for SMTP; a request that was written but never
answered is ``OutcomeUnknown``, and ``lookup`` asks the provider about it later.

Every text carries a reference derived from its notification: Vonage keeps it
as ``client-ref`` and lists it in its Reports API; Twilio has no such field, so
the reference rides in the ``StatusCallback`` URL (``?ref=``) and a lookup
matches the messages To the number by their text and time.
"""

from __future__ import annotations

import functools
import itertools
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, NoReturn, Protocol

import httpx

from notify_svc.adapters.outcome import OutcomeUnknown
from notify_svc.domain.segments import is_gsm7

# Nothing reached the provider: safe to treat as an ordinary, retryable failure.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
# Records of a message may carry the provider's clock, which can differ from ours.
SKEW = timedelta(minutes=2)


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every request: building one costs ~40 ms of CPU (CA bundle)."""
    return httpx.create_ssl_context()


class _Client:
    """One HTTP client per adapter, made on first use: its pool keeps the TCP (and TLS)
    connection to the provider open between texts instead of one per request."""

    def __init__(self, timeout_s: float, transport: httpx.AsyncBaseTransport | None) -> None:
        self._timeout = timeout_s
        self._transport = transport
        self._http: httpx.AsyncClient | None = None

    def __call__(self) -> httpx.AsyncClient:
        if self._http is None or self._http.is_closed:
            self._http = httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport, verify=_tls()
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()


@dataclass(frozen=True, slots=True)
class Sms:
    """One outgoing text. ``status_callback`` is where the provider reports delivery;
    ``reference`` names the message for a later lookup (the same on a resend)."""

    to: str
    body: str
    status_callback: str | None = None
    reference: str | None = None


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
    """Hands one text to a provider, and asks it later what became of one."""

    async def send(self, sms: Sms) -> Accepted: ...

    async def lookup(self, sms: Sms, since: datetime) -> list[Accepted]:
        """Messages the provider has that are this one (sent no earlier than ``since``),
        oldest first; SmsFailed when it cannot be asked now."""
        ...

    async def aclose(self) -> None:
        """Close the connections kept to the provider."""
        ...


def _raise_for(exc: httpx.HTTPError) -> NoReturn:
    """A transport error as a failure (nothing sent) or an unknown outcome."""
    if isinstance(exc, NOT_SENT):
        raise SmsFailed(f"provider unreachable ({type(exc).__name__})", permanent=False) from exc
    raise OutcomeUnknown(f"no answer from the provider ({type(exc).__name__})") from exc


def _with_ref(url: str, reference: str | None) -> str:
    if reference is None:
        return url
    return f"{url}{'&' if '?' in url else '?'}ref={reference}"


def _when(value: Any) -> datetime | None:
    """A provider's timestamp: RFC 2822 (Twilio), ISO 8601 or 'YYYY-MM-DD HH:MM:SS' (UTC)."""
    text = str(value or "")
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


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
        self._client = _Client(timeout_s, transport)

    async def send(self, sms: Sms) -> Accepted:
        c = self._credentials
        form = {"To": sms.to, "Body": sms.body}
        if c.messaging_service_sid:
            form["MessagingServiceSid"] = c.messaging_service_sid
        else:
            form["From"] = c.sender
        if sms.status_callback:
            form["StatusCallback"] = _with_ref(sms.status_callback, sms.reference)
        try:
            answer = await self._client().post(
                self._url, data=form, auth=(c.account_sid, c.auth_token)
            )
        except httpx.HTTPError as exc:
            _raise_for(exc)
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

    @property
    def _url(self) -> str:
        return f"{self._base}/2010-04-01/Accounts/{self._credentials.account_sid}/Messages.json"

    async def aclose(self) -> None:
        await self._client.aclose()

    async def lookup(self, sms: Sms, since: datetime) -> list[Accepted]:
        """Twilio keeps no client reference: the messages To the number that carry
        this text and were created since the send began, oldest first."""
        c = self._credentials
        try:
            answer = await self._client().get(
                self._url,
                params={"To": sms.to, "PageSize": "100"},
                auth=(c.account_sid, c.auth_token),
            )
            answer.raise_for_status()
            listed = answer.json().get("messages") or []
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise SmsFailed(f"lookup failed ({type(exc).__name__})", permanent=False) from exc
        found = []
        for m in listed:
            when = _when(m.get("date_created"))
            if m.get("body") != sms.body or when is None or when < since - SKEW:
                continue
            if str(m.get("direction", "outbound-api")).startswith("inbound"):
                continue
            found.append((when, Accepted(str(m["sid"]), str(m.get("status", "queued")))))
        return [a for _, a in sorted(found, key=lambda f: f[0])]


# Vonage SMS API statuses a retry can get past: throttled, internal error, too many binds.
VONAGE_TRANSIENT = frozenset({"1", "5", "10"})


@dataclass(frozen=True, slots=True)
class VonageCredentials:
    api_key: str
    api_secret: str = field(repr=False)
    sender: str = ""
    # The Reports API, where sent messages can be looked up (``SMS_LOOKUP_URL``);
    # the SMS API's own base when not given (the development sink serves both).
    reports_url: str | None = None


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
        self._client = _Client(timeout_s, transport)

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
        if sms.reference:
            form["client-ref"] = sms.reference
        try:
            answer = await self._client().post(f"{self._base}/sms/json", data=form)
        except httpx.HTTPError as exc:
            _raise_for(exc)
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

    async def aclose(self) -> None:
        await self._client.aclose()

    async def lookup(self, sms: Sms, since: datetime) -> list[Accepted]:
        """Outbound SMS records since the send began whose ``client_ref`` is this text's."""
        c = self._credentials
        base = (c.reports_url or self._base).rstrip("/")
        params = {
            "account_id": c.api_key,
            "product": "SMS",
            "direction": "outbound",
            "date_start": (since - SKEW).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "date_end": (datetime.now(UTC) + SKEW).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        try:
            answer = await self._client().get(
                f"{base}/v2/reports/records", params=params, auth=(c.api_key, c.api_secret)
            )
            answer.raise_for_status()
            records = answer.json().get("records") or []
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise SmsFailed(f"lookup failed ({type(exc).__name__})", permanent=False) from exc
        return [
            Accepted(str(r["message_id"]), str(r.get("status", "queued")).lower())
            for r in records
            if sms.reference and r.get("client_ref") == sms.reference and r.get("message_id")
        ]


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

    async def lookup(self, sms: Sms, since: datetime) -> list[Accepted]:
        return [a for a, s in self.sent if sms.reference and s.reference == sms.reference]

    async def aclose(self) -> None:
        """Nothing to close."""
