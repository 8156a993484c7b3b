"""Fixtures for assessment-svc tests: the app in-process, tokens, reading the topic."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import UUID

import httpx
import pytest

from assessment_svc.main import SPEC
from pathwise_contracts import ASSESSMENT_EVENTS, Envelope
from pathwise_devstack import inprocess
from pathwise_devstack.devtoken import mint_token
from pathwise_devstack.inprocess import Running

SECRET = "x" * 32


def bearer(role: str = "teacher", district: str = "d1") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, role=role, district=district)}"}


@pytest.fixture
def auth() -> Callable[..., dict[str, str]]:
    """Headers with a dev token for a role and district."""
    return bearer


@pytest.fixture
def offline_client() -> httpx.AsyncClient:
    """The app without its lifespan: enough for auth and validation, which answer first."""
    return inprocess.offline_client(SPEC, SECRET)


@pytest.fixture
async def service(database: Callable[[], str], kafka_bootstrap: str) -> AsyncIterator[Running]:
    """The whole service in-process on a fresh database, with its own consumer group."""
    async with inprocess.running(SPEC, database(), kafka_bootstrap, secret=SECRET) as run:
        yield run


@pytest.fixture
def published(kafka_bootstrap: str) -> Callable[[UUID], Awaitable[list[Envelope]]]:
    """Reads the topic for the messages of one event id."""
    return lambda event_id: inprocess.published(kafka_bootstrap, ASSESSMENT_EVENTS, event_id)


eventually = inprocess.eventually


@pytest.fixture
def wait_until() -> Callable[..., Awaitable[None]]:
    """Polls an async predicate until it holds (or fails the test after ~20 s)."""
    return eventually
