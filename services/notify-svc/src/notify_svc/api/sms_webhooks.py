"""What the SMS providers call: delivery reports and messages families send back.

Twilio signs with ``X-Twilio-Signature`` over the URL it was given (the
service's public URL, not what a proxy forwards) and the form parameters.
Vonage's SMS API signs the parameters with a ``sig`` (``SMS_SIGNATURE_SECRET``,
``SMS_SIGNATURE_METHOD``) and a timestamp that must be recent. Anything
unsigned or mis-signed is refused (403), since a forged STOP or START would
change a family's consent, and a forged report would rewrite the delivery log.

A delivery report is kept with the delivery and published as
``NotificationDeliveryReported``, with an id derived from the notification and
the status, so a provider that repeats itself changes nothing. A report naming
the message's reference (Twilio: ``?ref=`` on the callback URL; Vonage:
``client-ref``) settles a send whose outcome was unknown: the provider has it.

Keywords follow the carriers' list: STOP and its synonyms opt the number out at
once (no text reaches it again) and withdraw SMS consent in the profile for
every guardian texted there, with one confirmation; START / UNSTOP opt back in;
HELP answers with the help text.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response

from notify_svc.adapters.profile_consent import change_consent
from notify_svc.adapters.sms import Sms, SmsFailed, SmsProvider
from notify_svc.adapters.unsubscribe_links import signing_key
from notify_svc.commands import sms_inbound, sms_numbers, sms_reports, unknowns
from notify_svc.domain.signature import valid_twilio_signature, valid_vonage_signature
from notify_svc.domain.sms_text import HELP, STARTED, STOPPED
from notify_svc.settings import NotifySettings
from pathwise_runtime.problems import Problem

router = APIRouter(prefix="/v1/sms", tags=["sms"])

STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPT OUT", "OPTOUT"}
)
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def keyword(body: str) -> str:
    """The message as a keyword: case and surrounding punctuation and spaces ignored."""
    return " ".join(body.strip(" \t\r\n.!").upper().split())


async def _signed_form(request: Request, settings: NotifySettings, path: str) -> dict[str, str]:
    if settings.sms_auth_token is None:
        raise Problem(503, "SMS_AUTH_TOKEN is not set; webhooks cannot be verified")
    form = parse_qsl((await request.body()).decode(), keep_blank_values=True)
    url = f"{settings.provider_base}{path}"
    if request.url.query:  # Twilio signs the callback URL it was given, query and all
        url = f"{url}?{request.url.query}"
    signature = request.headers.get("x-twilio-signature")
    if not valid_twilio_signature(settings.sms_auth_token.get_secret_value(), url, form, signature):
        raise Problem(403, "X-Twilio-Signature: missing or not valid for this request")
    return dict(form)


async def _vonage_params(request: Request, settings: NotifySettings) -> dict[str, str]:
    """The webhook's parameters, whichever format the account sends (GET, POST, POST-JSON)."""
    secret = settings.vonage_signature_secret
    if secret is None:
        raise Problem(503, "SMS_SIGNATURE_SECRET is not set; webhooks cannot be verified")
    params: dict[str, str] = dict(request.query_params)
    if request.method == "POST":
        raw = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                decoded = json.loads(raw or b"{}")
            except ValueError as exc:
                raise Problem(400, "body: not valid JSON") from exc
            if not isinstance(decoded, dict):
                raise Problem(400, "body: a JSON object is expected")
            params.update({k: _text(v) for k, v in decoded.items()})
        else:
            params.update(parse_qsl(raw.decode(), keep_blank_values=True))
    if not valid_vonage_signature(secret, params, settings.sms_signature_method, now=time.time()):
        raise Problem(403, "sig: missing, not valid for this request, or its timestamp is stale")
    return params


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@router.post("/status", status_code=204)
async def status(request: Request) -> Response:
    """A Twilio delivery report: the status of one message, kept and published."""
    settings = NotifySettings()
    form = await _signed_form(request, settings, "/v1/sms/status")
    sid, state = form.get("MessageSid"), form.get("MessageStatus")
    if not sid or not state:
        raise Problem(422, "MessageSid and MessageStatus: both are required")
    await _report(request, sid, state, "twilio", request.query_params.get("ref"))
    return Response(status_code=204)


@router.api_route("/vonage/status", methods=["GET", "POST"], status_code=204)
async def vonage_status(request: Request) -> Response:
    """A Vonage delivery receipt (DLR): ``messageId`` and ``status``, signed with ``sig``."""
    params = await _vonage_params(request, NotifySettings())
    message_id, state = params.get("messageId"), params.get("status")
    if not message_id or not state:
        raise Problem(422, "messageId and status: both are required")
    await _report(request, message_id, state, "vonage", params.get("client-ref"))
    return Response(status_code=204)


async def _report(
    request: Request, provider_id: str, state: str, provider: str, ref: str | None
) -> None:
    runtime = request.app.state.runtime
    if ref:
        await unknowns.settle_reported(runtime.pool, ref, provider_id, runtime.source)
    await sms_reports.record_provider_status(
        runtime.pool, provider_id, state[:32], provider=provider, source=runtime.source
    )


@router.post("/inbound")
async def inbound(request: Request) -> Response:
    """A family's reply through Twilio: STOP / START / HELP act; anything else is ignored."""
    settings = NotifySettings()
    form = await _signed_form(request, settings, "/v1/sms/inbound")
    number = form.get("From", "")
    if not number:
        raise Problem(422, "From: required")
    runtime = request.app.state.runtime
    await _once(runtime, "twilio", form.get("MessageSid"), number, form.get("Body", ""), settings)
    return Response(EMPTY_TWIML, media_type="text/xml")


@router.api_route("/vonage/inbound", methods=["GET", "POST"], status_code=204)
async def vonage_inbound(request: Request) -> Response:
    """A family's reply through Vonage (``msisdn``, ``text``), signed with ``sig``."""
    settings = NotifySettings()
    params = await _vonage_params(request, settings)
    number = params.get("msisdn", "")
    if not number:
        raise Problem(422, "msisdn: required")
    number = "+" + number.lstrip("+")
    runtime = request.app.state.runtime
    await _once(
        runtime, "vonage", params.get("messageId"), number, params.get("text", ""), settings
    )
    return Response(status_code=204)


async def _once(
    runtime: Any,
    provider: str,
    message_id: str | None,
    number: str,
    body: str,
    settings: NotifySettings,
) -> None:
    """Act on a reply unless its message id was handled before (a retry or a replay).

    The id is inside what the provider signs, so it cannot be dropped to slip past.
    """
    if message_id and await sms_inbound.acted_on(runtime.pool, provider, message_id):
        return
    await _act(runtime, settings, number, body)
    if message_id:
        await sms_inbound.mark_acted(runtime.pool, provider, message_id)


async def _act(runtime: Any, settings: NotifySettings, number: str, body: str) -> None:
    word = keyword(body)
    phone_hash = sms_numbers.number_hash(
        sms_numbers.number_key(signing_key(runtime.settings)), number
    )
    if word in STOP_WORDS:
        first = await sms_numbers.opt_out(runtime.pool, phone_hash)
        await _consent(runtime, settings, phone_hash, granted=False)
        if first:
            await _reply(runtime, number, STOPPED)
    elif word in START_WORDS:
        await sms_numbers.opt_in(runtime.pool, phone_hash)
        await _consent(runtime, settings, phone_hash, granted=True)
        await _reply(runtime, number, STARTED)
    elif word in HELP_WORDS:
        await _reply(runtime, number, HELP)


async def _consent(
    runtime: Any, settings: NotifySettings, phone_hash: str, *, granted: bool
) -> None:
    for who in await sms_numbers.recipients(runtime.pool, phone_hash):
        await change_consent(
            runtime.settings,
            settings,
            district_id=who.district_id,
            student_id=who.student_id,
            guardian_id=who.guardian_id,
            channel="sms",
            granted=granted,
            source="sms_stop",
        )


async def _reply(runtime: Any, number: str, text: str) -> None:
    provider: SmsProvider | None = runtime.extras.get("sms")
    if provider is None:
        raise Problem(503, "no SMS provider configured (SMS_PROVIDER_URL); cannot reply")
    try:
        await provider.send(Sms(to=number, body=text))
    except SmsFailed as exc:
        raise Problem(502, "the SMS provider did not take the reply; try again") from exc
