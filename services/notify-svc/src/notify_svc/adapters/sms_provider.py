"""Choosing the SMS provider from the settings (None when SMS is not configured).

``SMS_PROVIDER`` picks the adapter; ``SMS_ACCOUNT_SID`` / ``SMS_AUTH_TOKEN`` are
Twilio's account SID and auth token, or Vonage's API key and secret.
"""

from __future__ import annotations

from notify_svc.adapters.sms import (
    SmsProvider,
    TwilioCredentials,
    TwilioSms,
    VonageCredentials,
    VonageSms,
)
from notify_svc.settings import NotifySettings


def provider_from(settings: NotifySettings) -> SmsProvider | None:
    """The configured provider; a URL without credentials is a configuration error."""
    if settings.sms_provider_url is None:
        return None
    if not settings.sms_account_sid or settings.sms_auth_token is None:
        raise ValueError("SMS_PROVIDER_URL is set: SMS_ACCOUNT_SID and SMS_AUTH_TOKEN are required")
    if settings.sms_provider == "vonage":
        vonage = VonageCredentials(
            api_key=settings.sms_account_sid,
            api_secret=settings.sms_auth_token.get_secret_value(),
            sender=settings.sms_from,
            reports_url=settings.sms_lookup_url,
        )
        return VonageSms(settings.sms_provider_url, vonage, timeout_s=settings.sms_timeout_s)
    credentials = TwilioCredentials(
        account_sid=settings.sms_account_sid,
        auth_token=settings.sms_auth_token.get_secret_value(),
        sender=settings.sms_from,
        messaging_service_sid=settings.sms_messaging_service_sid,
    )
    return TwilioSms(settings.sms_provider_url, credentials, timeout_s=settings.sms_timeout_s)
