"""Opening a guardian's contact details at the moment of sending, and only then.

Two kinds of sealed value reach notify-svc on the profile log. Values sealed
with the key the runtime derives from the master key (``Keyring``) are opened
here directly, as before. Values sealed with a stored, erasable key (kid
``dek:...``) are opened by profile-svc, which holds those keys, through
``POST /v1/personal-data/open`` with a service token: notify-svc never holds
them, so erasing a guardian in profile-svc makes their address unreadable here
too. profile-svc answers null for an erased subject: the contact is gone.
"""

from __future__ import annotations

import httpx
from cryptography.exceptions import InvalidTag

from pathwise_contracts import EncryptedValue
from pathwise_runtime.auth import mint_dev_token
from pathwise_runtime.pii import Keyring
from pathwise_runtime.settings import ServiceSettings

STORED_KEY_PREFIX = "dek:"


class ContactGone(Exception):
    """The value can never be opened again (its key was destroyed): do not retry."""


class LookupFailed(Exception):
    """profile-svc could not be asked right now: retry later."""


class ServiceCredentials:
    """A bearer token for calling other Pathwise services as ``service``.

    A configured token (``NOTIFY_SERVICE_TOKEN``, issued by the district's
    identity provider) wins; in development one is minted from the stack's
    dev secret, as every service verifies with it.
    """

    def __init__(self, settings: ServiceSettings, static_token: str | None) -> None:
        self._static = static_token
        secret = settings.auth_dev_secret
        self._secret = secret.get_secret_value() if secret else None

    def token(self, district: str) -> str:
        if self._static:
            return self._static
        if not self._secret:
            raise LookupFailed("no service token: set NOTIFY_SERVICE_TOKEN")
        return mint_dev_token(
            self._secret, role="service", district=district, sub="notify-svc", ttl=300
        )


class ContactOpener:
    """Opens sealed contact details: derived keys here, stored keys through profile-svc."""

    def __init__(
        self,
        keyring: Keyring,
        *,
        profile_url: str | None = None,
        credentials: ServiceCredentials | None = None,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._keyring = keyring
        self._profile_url = profile_url.rstrip("/") if profile_url else None
        self._credentials = credentials
        self._timeout = timeout_s
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        """One client for the opener's life: a client per lookup built a TLS context each
        time, tens of milliseconds of CPU per message sent."""
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, transport=self._transport)
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def open(self, value: EncryptedValue, district: str) -> str:
        if not value.kid.startswith(STORED_KEY_PREFIX):
            try:
                return self._keyring.decrypt(value)
            except (InvalidTag, ValueError, KeyError) as exc:
                raise ContactGone(f"contact details unreadable ({type(exc).__name__})") from exc
        if self._profile_url is None or self._credentials is None:
            raise LookupFailed("PROFILE_URL is not set: cannot open a stored-key contact")
        headers = {"Authorization": f"Bearer {self._credentials.token(district)}"}
        try:
            response = await self._http().post(
                f"{self._profile_url}/v1/personal-data/open",
                json={"values": [value.model_dump(mode="json")]},
                headers=headers,
            )
        except httpx.HTTPError as exc:
            raise LookupFailed(f"profile-svc unreachable ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise LookupFailed(f"profile-svc answered {response.status_code}")
        (opened,) = response.json()["values"]
        if opened is None:
            raise ContactGone("contact details erased")
        return str(opened)
