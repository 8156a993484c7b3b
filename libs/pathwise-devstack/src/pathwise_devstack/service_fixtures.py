"""The pytest fixtures every service's own tests share, made once for a service.

A service's ``conftest.py`` names them by assignment, so each suite keeps the
same vocabulary (``auth``, ``offline_client``, ``service``, ``published``,
``wait_until``) without writing them again::

    auth, offline_client, service, published, wait_until = service_fixtures(SPEC, TOPIC)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from uuid import UUID

import httpx
import pytest

from pathwise_contracts import Envelope, Topic
from pathwise_devstack import inprocess
from pathwise_devstack.devtoken import mint_token
from pathwise_devstack.inprocess import Running
from pathwise_runtime.service import ServiceSpec

SECRET = "x" * 32


def bearer(role: str = "teacher", district: str = "d1", sub: str | None = None) -> dict[str, str]:
    """Headers with a dev token (signed with ``SECRET``) for a role, district and subject."""
    token = mint_token(SECRET, role=role, district=district, sub=sub)
    return {"Authorization": f"Bearer {token}"}


def service_fixtures(spec: ServiceSpec, topic: Topic) -> tuple[Any, ...]:
    """``auth``, ``offline_client``, ``service``, ``published`` and ``wait_until`` for ``spec``."""

    @pytest.fixture
    def auth() -> Callable[..., dict[str, str]]:
        """Headers with a dev token for a role, district and (optionally) subject."""
        return bearer

    @pytest.fixture
    def offline_client() -> httpx.AsyncClient:
        """The app without its lifespan: enough for auth and validation, which answer first."""
        return inprocess.offline_client(spec, SECRET)

    @pytest.fixture
    async def service(database: Callable[[], str], kafka_bootstrap: str) -> AsyncIterator[Running]:
        """The whole service in-process on a fresh database, with its own consumer group."""
        async with inprocess.running(spec, database(), kafka_bootstrap, secret=SECRET) as run:
            yield run

    @pytest.fixture
    def published(kafka_bootstrap: str) -> Callable[[UUID], Awaitable[list[Envelope]]]:
        """Reads the service's topic for the messages of one event id."""
        return lambda event_id: inprocess.published(kafka_bootstrap, topic, event_id)

    @pytest.fixture
    def wait_until() -> Callable[..., Awaitable[None]]:
        """Polls an async predicate until it holds (or fails the test after ~20 s)."""
        return inprocess.eventually

    return auth, offline_client, service, published, wait_until
