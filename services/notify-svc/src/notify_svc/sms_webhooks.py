"""What the SMS provider calls: delivery reports and messages families send back.

Both are signed with ``X-Twilio-Signature`` over the URL the provider was
given (the service's public URL, not what a proxy forwards) and the form
parameters; anything unsigned is refused, since a forged STOP or START would
change a family's consent. Keywords follow the carriers' list: STOP and its
synonyms opt the number out at once (no text reaches it again) and withdraw
SMS consent in the profile for every guardian texted there, with one
confirmation; START / UNSTOP opt back in; HELP answers with the help text.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response

from notify_svc import deliveries, sms_numbers
from notify_svc.consent import change_consent
from notify_svc.domain.signature import valid_twilio_signature
from notify_svc.domain.sms_text import HELP, STARTED, STOPPED
from notify_svc.settings import NotifySettings
from notify_svc.sms import Sms, SmsFailed, SmsProvider
from notify_svc.unsubscribe import signing_key
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
    url = f"{settings.public_url.rstrip('/')}{path}"
    signature = request.headers.get("x-twilio-signature")
    if not valid_twilio_signature(settings.sms_auth_token.get_secret_value(), url, form, signature):
        raise Problem(403, "X-Twilio-Signature: missing or not valid for this request")
    return dict(form)


@router.post("/status", status_code=204)
async def status(request: Request) -> Response:
    """A delivery report: the provider's status for one message, kept with the delivery."""
    settings = NotifySettings()
    form = await _signed_form(request, settings, "/v1/sms/status")
    sid, state = form.get("MessageSid"), form.get("MessageStatus")
    if not sid or not state:
        raise Problem(422, "MessageSid and MessageStatus: both are required")
    await deliveries.record_provider_status(request.app.state.runtime.pool, sid, state)
    return Response(status_code=204)


@router.post("/inbound")
async def inbound(request: Request) -> Response:
    """A family's reply: STOP / START / HELP act; anything else is ignored."""
    settings = NotifySettings()
    form = await _signed_form(request, settings, "/v1/sms/inbound")
    number = form.get("From", "")
    if not number:
        raise Problem(422, "From: required")
    runtime = request.app.state.runtime
    word = keyword(form.get("Body", ""))
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
    return Response(EMPTY_TWIML, media_type="text/xml")


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
