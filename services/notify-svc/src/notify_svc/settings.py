"""Settings only notify-svc reads: mail server, SMS provider, retries, profile-svc, path-svc.

Kept apart from the runtime's ServiceSettings so the shared runtime does not
grow knobs for one service; names follow what mail operators already use.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from notify_svc.domain.backoff import Backoff
from notify_svc.domain.reconcile import Policy


class NotifySettings(BaseSettings):
    """Where mail goes and how hard the sender tries."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    smtp_host: str = Field("127.0.0.1", validation_alias="SMTP_HOST")
    smtp_port: int = Field(25, validation_alias="SMTP_PORT", gt=0)
    smtp_starttls: bool = Field(False, validation_alias="SMTP_STARTTLS")
    smtp_username: str | None = Field(None, validation_alias="SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(None, validation_alias="SMTP_PASSWORD")
    smtp_timeout_s: float = Field(15.0, validation_alias="SMTP_TIMEOUT_S", gt=0)
    # How long an idle SMTP connection is kept for the next mail (under the server's
    # idle timeout, commonly 300 s); 0 opens one per mail.
    smtp_keepalive_s: float = Field(60.0, validation_alias="SMTP_KEEPALIVE_S", ge=0)
    mail_from: str = Field(
        "Pathwise <no-reply@pathwise.local>", validation_alias="NOTIFY_MAIL_FROM"
    )
    poll_interval_s: float = Field(1.0, validation_alias="NOTIFY_POLL_INTERVAL_S", gt=0)
    batch_size: int = Field(50, validation_alias="NOTIFY_BATCH_SIZE", ge=1)
    concurrency: int = Field(16, validation_alias="NOTIFY_SEND_CONCURRENCY", ge=1)
    # Claim-and-send loops at once: while one waits on its slowest message, others go on.
    workers: int = Field(4, validation_alias="NOTIFY_SEND_WORKERS", ge=1)
    retry_base_s: float = Field(5.0, validation_alias="NOTIFY_RETRY_BASE_S", gt=0)
    retry_cap_s: float = Field(900.0, validation_alias="NOTIFY_RETRY_CAP_S", gt=0)
    retries: int = Field(5, validation_alias="NOTIFY_RETRIES", ge=0)
    # Facts for one family that come this close together travel as one message;
    # urgent ones (support needed) never wait. 0 sends each at once.
    coalesce_window_s: float = Field(
        600.0, validation_alias="NOTIFY_COALESCE_WINDOW_S", ge=0, le=86_400
    )
    # Settling sends whose outcome is unknown (a timeout after the request went out, a
    # crash mid-send): how often the reconciler runs, how long a provider saying "never
    # got it" is doubted (its records can lag), and when an unsettled send is failed.
    reconcile_interval_s: float = Field(60.0, validation_alias="NOTIFY_RECONCILE_INTERVAL_S", gt=0)
    reconcile_grace_s: float = Field(120.0, validation_alias="NOTIFY_RECONCILE_GRACE_S", ge=0)
    reconcile_give_up_s: float = Field(900.0, validation_alias="NOTIFY_RECONCILE_GIVE_UP_S", gt=0)
    # Where the mail relay answers "do you have this Message-ID?" (the development sink's
    # /messages); none: an unknown mail is sent again with the same Message-ID.
    smtp_lookup_url: str | None = Field(None, validation_alias="SMTP_LOOKUP_URL")
    profile_url: str | None = Field(None, validation_alias="PROFILE_URL")
    # path-svc, for competency titles in messages; kept per district this long (seconds).
    path_url: str | None = Field(None, validation_alias="PATH_URL")
    titles_ttl_s: float = Field(300.0, validation_alias="NOTIFY_TITLES_TTL_S", gt=0)
    service_token: SecretStr | None = Field(None, validation_alias="NOTIFY_SERVICE_TOKEN")
    # Where families' unsubscribe links point; the stack's own URL for the service otherwise.
    public_url: str = Field(
        "http://127.0.0.1:8104",
        validation_alias=AliasChoices("NOTIFY_PUBLIC_URL", "NOTIFY_URL"),
        min_length=1,
    )

    # SMS through Twilio's Messages API or Vonage's SMS API (or the dev sink speaking
    # either); no URL: no SMS sent.
    sms_provider: Literal["twilio", "vonage"] = Field("twilio", validation_alias="SMS_PROVIDER")
    sms_provider_url: str | None = Field(None, validation_alias="SMS_PROVIDER_URL")
    sms_account_sid: str | None = Field(None, validation_alias="SMS_ACCOUNT_SID")
    sms_auth_token: SecretStr | None = Field(None, validation_alias="SMS_AUTH_TOKEN")
    sms_from: str = Field("", validation_alias="SMS_FROM")
    sms_messaging_service_sid: str | None = Field(
        None, validation_alias="SMS_MESSAGING_SERVICE_SID"
    )
    sms_max_segments: int = Field(2, validation_alias="SMS_MAX_SEGMENTS", ge=1, le=10)
    sms_timeout_s: float = Field(10.0, validation_alias="SMS_TIMEOUT_S", gt=0)
    # Vonage's Reports API, where a text is looked up by its client-ref
    # (https://api.nexmo.com); the provider URL when not set.
    sms_lookup_url: str | None = Field(None, validation_alias="SMS_LOOKUP_URL")
    # Vonage signs its webhooks with the account's signature secret (not the API
    # secret) and the method chosen in its dashboard; the secret falls back to
    # SMS_AUTH_TOKEN, which is what the development sink signs with.
    sms_signature_secret: SecretStr | None = Field(None, validation_alias="SMS_SIGNATURE_SECRET")
    sms_signature_method: Literal["md5hash", "md5", "sha1", "sha256", "sha512"] = Field(
        "sha256", validation_alias="SMS_SIGNATURE_METHOD"
    )
    # Where the link in a text leads (the family portal); the service's public URL otherwise.
    family_url: str | None = Field(None, validation_alias="NOTIFY_FAMILY_URL")
    # The teacher portal, for the link in a teacher's support alert; the family portal
    # (the same web app) otherwise, then the service's public URL.
    portal_url: str | None = Field(None, validation_alias="NOTIFY_PORTAL_URL")

    # Where SMS providers reach the service (delivery reports, replies), when that is
    # not where families' browsers do (compose: the sink inside the network).
    callback_url: str | None = Field(None, validation_alias="NOTIFY_CALLBACK_URL")

    @property
    def provider_base(self) -> str:
        """The base of every URL a provider calls back; its signatures cover it."""
        return (self.callback_url or self.public_url).rstrip("/")

    @property
    def sms_link(self) -> str:
        return (self.family_url or self.public_url).rstrip("/")

    @property
    def teacher_portal(self) -> str:
        return (self.portal_url or self.family_url or self.public_url).rstrip("/")

    @property
    def sms_status_url(self) -> str:
        """Where the provider reports delivery; also the URL its signature covers."""
        path = "/v1/sms/vonage/status" if self.sms_provider == "vonage" else "/v1/sms/status"
        return f"{self.provider_base}{path}"

    @property
    def vonage_signature_secret(self) -> str | None:
        secret = self.sms_signature_secret or self.sms_auth_token
        return secret.get_secret_value() if secret else None

    @property
    def reconcile(self) -> Policy:
        return Policy(
            grace=timedelta(seconds=self.reconcile_grace_s),
            give_up=timedelta(seconds=self.reconcile_give_up_s),
        )

    @property
    def backoff(self) -> Backoff:
        return Backoff(base_s=self.retry_base_s, cap_s=self.retry_cap_s, retries=self.retries)
