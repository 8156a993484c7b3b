"""Fetching the other services' sections of a student's record, for the export.

Each service answers ``GET /v1/students/{id}/record-section`` to a service
token issued for the export purpose (claim ``purpose: record-export``) and
naming the export (``X-Pathwise-Export-Id``), so its reads are logged as part
of the export. A section that does not come back (the service down, slow, or
answering an error) fails the whole export with the section named: a family
never gets a record that silently lacks a part.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import jwt
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from pathwise_runtime.auth import mint_dev_token
from pathwise_runtime.disclosure import EXPORT_ID_HEADER
from pathwise_runtime.policy import EXPORT_PURPOSE
from pathwise_runtime.settings import ServiceSettings


class RecordSettings(BaseSettings):
    """Where the sections come from: the same service URLs every deployable is given."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    assessment_url: str | None = Field(None, validation_alias="ASSESSMENT_URL")
    path_url: str | None = Field(None, validation_alias="PATH_URL")
    notify_url: str | None = Field(None, validation_alias="NOTIFY_URL")
    export_token: SecretStr | None = Field(None, validation_alias="PROFILE_EXPORT_TOKEN")
    timeout_s: float = Field(20.0, validation_alias="RECORD_SECTION_TIMEOUT_S", gt=0)


@dataclass(frozen=True, slots=True)
class Source:
    section: str
    service: str
    url: str | None


class SectionUnavailable(Exception):
    """A section could not be fetched; the export is refused, naming it."""

    def __init__(self, section: str, service: str, why: str) -> None:
        super().__init__(f"section '{section}' unavailable: {service} {why}")
        self.section = section
        self.service = service


class RecordSections:
    """The three sections other services hold: results, learning, messages."""

    def __init__(
        self,
        service: ServiceSettings,
        settings: RecordSettings,
        *,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        self.sources = (
            Source("assessments", "assessment-svc", settings.assessment_url),
            Source("learning", "path-svc", settings.path_url),
            Source("messages", "notify-svc", settings.notify_url),
        )
        self._static = settings.export_token.get_secret_value() if settings.export_token else None
        secret = service.auth_dev_secret
        self._secret = secret.get_secret_value() if secret else None
        self._timeout = settings.timeout_s
        self._transports = dict(transports or {})

    def _token(self, district: str) -> str | None:
        if self._static:
            # One configured token speaks for one district: the sections answer for the
            # token's district, so another district's export must not borrow it.
            claimed = jwt.decode(self._static, options={"verify_signature": False}).get("district")
            if claimed != district:
                raise SectionUnavailable(
                    "all",
                    "profile-svc",
                    f"has PROFILE_EXPORT_TOKEN for district {claimed!r}, not {district!r}",
                )
            return self._static
        if not self._secret:
            return None
        return mint_dev_token(
            self._secret,
            role="service",
            district=district,
            sub="profile-svc",
            ttl=300,
            purpose=EXPORT_PURPOSE,
        )

    async def fetch(
        self, district: str, student_id: str, export_id: UUID, *, guardian_id: str | None
    ) -> dict[str, dict[str, Any]]:
        """Every section by name, or ``SectionUnavailable`` for the first one missing."""
        token = self._token(district)
        if token is None:
            raise SectionUnavailable("all", "profile-svc", "has no token: set PROFILE_EXPORT_TOKEN")
        headers = {"Authorization": f"Bearer {token}", EXPORT_ID_HEADER: str(export_id)}
        found = await asyncio.gather(
            *(self._one(s, student_id, headers, guardian_id) for s in self.sources)
        )
        return {s.section: body for s, body in zip(self.sources, found, strict=True)}

    async def _one(
        self, source: Source, student_id: str, headers: dict[str, str], guardian_id: str | None
    ) -> dict[str, Any]:
        if not source.url:
            raise SectionUnavailable(source.section, source.service, "has no URL configured")
        params = (
            {"guardian_id": guardian_id} if guardian_id and source.service == "notify-svc" else {}
        )
        url = f"{source.url.rstrip('/')}/v1/students/{student_id}/record-section"
        try:
            async with httpx.AsyncClient(
                timeout=self._timeout, transport=self._transports.get(source.service)
            ) as client:
                r = await client.get(url, headers=headers, params=params)
        except httpx.HTTPError as error:
            raise SectionUnavailable(
                source.section, source.service, f"did not answer ({type(error).__name__})"
            ) from None
        if r.status_code != 200:
            raise SectionUnavailable(source.section, source.service, f"answered {r.status_code}")
        try:
            body = r.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise SectionUnavailable(source.section, source.service, "answered no JSON object")
        return body
