"""Competency titles from path-svc, fetched once per district and kept for a while.

Each district may plan over its own framework, so the framework is asked for
as a service of that district (``GET {PATH_URL}/v1/framework`` with the
district's service token, as contacts are opened on profile-svc) and kept per
district for ``ttl_s`` (5 minutes): one request per district, not per message;
concurrent messages of a district wait for the same request. A failed request
never holds a message back: the last titles that district had are used while
they are not older than ``stale_s``, else none (messages name the code alone),
and the district is not asked again for ``retry_s``, so an outage costs one
short timeout per district and minute, not one per message. ``unavailable``
counts, per reason, the lookups that came back without titles.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from notify_svc.adapters.contacts import LookupFailed, ServiceCredentials
from notify_svc.domain.competency_names import CompetencyNames

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Titles:
    """A district's titles, or None with the reason there are none."""

    names: CompetencyNames | None
    reason: str | None = None


@dataclass(slots=True)
class _Entry:
    names: CompetencyNames | None
    fetched_at: float  # when ``names`` came (monotonic); -inf: never
    retry_at: float  # when path-svc may be asked again
    reason: str | None = None


class CompetencyTitles:
    """Per-district cache in front of path-svc's framework."""

    def __init__(
        self,
        path_url: str | None,
        credentials: ServiceCredentials | None,
        *,
        ttl_s: float = 300.0,
        retry_s: float = 60.0,
        stale_s: float = 86_400.0,
        timeout_s: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = f"{path_url.rstrip('/')}/v1/framework" if path_url else None
        self._credentials = credentials
        self._ttl, self._retry, self._stale = ttl_s, retry_s, stale_s
        self._timeout = timeout_s
        self._transport = transport
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._client: httpx.AsyncClient | None = None
        self.fetches = 0
        self.unavailable: Counter[str] = Counter()

    async def for_district(self, district: str) -> Titles:
        """The district's titles, fetched when missing or older than the TTL."""
        entry = self._entries.get(district)
        if entry is None or self._due(entry):
            async with self._locks.setdefault(district, asyncio.Lock()):
                entry = self._entries.get(district)
                if entry is None or self._due(entry):
                    entry = await self._refresh(district, entry)
        if entry.names is not None and self._clock() - entry.fetched_at <= self._stale:
            return Titles(entry.names)
        reason = entry.reason or "no titles"
        self.unavailable[reason] += 1
        return Titles(None, reason)

    def _due(self, entry: _Entry) -> bool:
        now = self._clock()
        return now - entry.fetched_at > self._ttl and now >= entry.retry_at

    async def _refresh(self, district: str, old: _Entry | None) -> _Entry:
        now = self._clock()
        try:
            names = await self._fetch(district)
        except LookupFailed as exc:
            log.warning(
                "competency titles unavailable; messages name the code only",
                extra={"district_id": district, "reason": str(exc)},
            )
            kept = old.names if old else None
            since = old.fetched_at if old else float("-inf")
            entry = _Entry(kept, since, now + self._retry, str(exc))
        else:
            entry = _Entry(names, now, now + self._ttl)
        self._entries[district] = entry
        return entry

    async def _fetch(self, district: str) -> CompetencyNames:
        if self._url is None or self._credentials is None:
            raise LookupFailed("PATH_URL is not set")
        self.fetches += 1
        headers = {"Authorization": f"Bearer {self._credentials.token(district)}"}
        try:
            answer = await self._http().get(self._url, headers=headers)
        except httpx.HTTPError as exc:
            raise LookupFailed(f"path-svc unreachable ({type(exc).__name__})") from exc
        if answer.status_code != 200:
            raise LookupFailed(f"path-svc answered {answer.status_code}")
        try:
            return CompetencyNames.from_framework(answer.json())
        except (ValueError, AttributeError, TypeError) as exc:
            raise LookupFailed(f"path-svc framework unreadable ({type(exc).__name__})") from exc

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, transport=self._transport)
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
