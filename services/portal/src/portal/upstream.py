"""The services' HTTP APIs, called with the signed-in user's own bearer token.

The portal decides nothing about access: each service answers for the user
as it would answer the user directly. A 404 (or a 403, which some services
give for a student outside the caller's reach) becomes the portal's 404 page,
a 401 means the session's token expired (sign in again), and a service that
is down or failing becomes a 503 page, never a stack trace.
"""

from __future__ import annotations

from typing import Any

import httpx

from portal.settings import PortalSettings


class NotVisible(Exception):
    """The user may not see this (or it does not exist): render 404."""


class SignInAgain(Exception):
    """The service refused the token (expired or revoked)."""


class Unavailable(Exception):
    """A service did not answer or failed."""


class Refused(Exception):
    """A command was refused with a problem+json body (4xx other than 401/403/404)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class Upstream:
    """One pooled HTTP client for every service the portal reads."""

    def __init__(
        self, settings: PortalSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.urls = {
            "profile": settings.profile_url.rstrip("/"),
            "path": settings.path_url.rstrip("/"),
            "notify": settings.notify_url.rstrip("/"),
            "assessment": settings.assessment_url.rstrip("/"),
        }
        self._client = httpx.AsyncClient(timeout=15.0, transport=transport)

    async def close(self) -> None:
        await self._client.aclose()

    async def _call(
        self,
        method: str,
        service: str,
        path: str,
        token: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            response = await self._client.request(
                method,
                f"{self.urls[service]}{path}",
                params=params,
                json=json,
                headers={"Authorization": f"Bearer {token}", **(headers or {})},
            )
        except httpx.HTTPError as error:
            raise Unavailable(f"{service}: {type(error).__name__}") from error
        if response.status_code == 401:
            raise SignInAgain(service)
        if response.status_code >= 500:
            raise Unavailable(f"{service} answered {response.status_code}")
        return response

    async def get(
        self, service: str, path: str, token: str, params: dict[str, Any] | None = None
    ) -> Any:
        """JSON of a read; NotVisible on 403/404."""
        response = await self._call("GET", service, path, token, params=params)
        if response.status_code in (403, 404):
            raise NotVisible(path)
        if response.status_code >= 400:
            raise Refused(response.status_code, _detail(response))
        return response.json()

    async def fetch(
        self, service: str, path: str, token: str, params: dict[str, Any] | None = None
    ) -> httpx.Response:
        """A read whose body is not JSON (a page): the response, status left to the caller."""
        return await self._call("GET", service, path, token, params=params)

    async def get_or_none(
        self, service: str, path: str, token: str, params: dict[str, Any] | None = None
    ) -> Any:
        """JSON of a read, or None where there is nothing (yet) to show (404 / 403)."""
        try:
            return await self.get(service, path, token, params)
        except NotVisible:
            return None

    async def send(
        self,
        method: str,
        service: str,
        path: str,
        token: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A command; NotVisible on 403/404, Refused with the service's detail on other 4xx."""
        response = await self._call(method, service, path, token, json=body, headers=headers)
        if response.status_code in (403, 404):
            raise NotVisible(path)
        if response.status_code >= 400:
            raise Refused(response.status_code, _detail(response))
        return response


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return str(body["detail"])
    return str(body)[:300]
