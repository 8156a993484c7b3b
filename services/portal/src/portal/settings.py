"""The portal's settings from the environment (same names as the services where shared)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr

from pathwise_runtime.settings import ServiceSettings


def _env(name: str) -> AliasChoices:
    """Accept ``NAME`` (as devstack passes it to every service) and ``PATHWISE_NAME``."""
    return AliasChoices(name, f"PATHWISE_{name}")


class PortalSettings(ServiceSettings):
    """What the portal reads at start: upstream URLs, the broker, sign-in and cookies.

    Token verification (``PATHWISE_AUTH_DEV_SECRET`` or ``PATHWISE_AUTH_JWKS_URL``)
    is the same as every service's, so a token the portal accepts is one the
    services it calls accept too.
    """

    service_name: str = Field("portal", validation_alias=AliasChoices("SERVICE_NAME"))
    http_port: int = Field(8105, validation_alias="HTTP_PORT")
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias=_env("KAFKA_BOOTSTRAP_SERVERS")
    )
    profile_url: str = Field("http://127.0.0.1:8102", validation_alias=_env("PROFILE_URL"))
    path_url: str = Field("http://127.0.0.1:8103", validation_alias=_env("PATH_URL"))
    notify_url: str = Field("http://127.0.0.1:8104", validation_alias=_env("NOTIFY_URL"))
    assessment_url: str = Field("http://127.0.0.1:8101", validation_alias=_env("ASSESSMENT_URL"))
    session_secret: SecretStr | None = Field(
        None, validation_alias="PATHWISE_PORTAL_SESSION_SECRET"
    )
    oidc_issuer: str | None = Field(None, validation_alias="PATHWISE_PORTAL_OIDC_ISSUER")
    oidc_client_id: str | None = Field(None, validation_alias="PATHWISE_PORTAL_OIDC_CLIENT_ID")
    oidc_client_secret: SecretStr | None = Field(
        None, validation_alias="PATHWISE_PORTAL_OIDC_CLIENT_SECRET"
    )
    oidc_scope: str = Field("openid profile", validation_alias="PATHWISE_PORTAL_OIDC_SCOPE")
    public_url: str | None = Field(
        None,
        validation_alias="PATHWISE_PORTAL_PUBLIC_URL",
        description="Base URL users reach the portal at (OIDC redirect); default: the request's.",
    )
    cookie_secure: bool = Field(True, validation_alias="PATHWISE_PORTAL_COOKIE_SECURE")
    session_max_age_s: int = Field(8 * 3600, validation_alias="PATHWISE_PORTAL_SESSION_MAX_AGE_S")
    live_updates: bool = Field(True, validation_alias="PATHWISE_PORTAL_LIVE_UPDATES")

    @property
    def oidc(self) -> bool:
        """OIDC sign-in is on when an issuer is configured."""
        return bool(self.oidc_issuer)

    @property
    def dev_signin(self) -> bool:
        """The development sign-in page: no issuer, but a development secret."""
        return not self.oidc and self.auth_dev_secret is not None
