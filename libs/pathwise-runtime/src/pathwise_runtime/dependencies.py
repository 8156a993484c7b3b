"""Waiting for the database and the broker at start, instead of dying on the first try.

A service that starts before Postgres or Kafka (a cluster coming back, a laptop's
compose) logs what it is waiting for and why, retries with backoff, and starts
when they answer; it gives up, exiting with the last error, only after
``STARTUP_WAIT_S`` (below the Kubernetes startup probe's patience).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

log = logging.getLogger(__name__)
T = TypeVar("T")
UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
    KafkaError,
    TimeoutError,
)


async def until_up(
    what: str, attempt: Callable[[], Awaitable[T]], *, within_s: float, first_delay_s: float = 0.5
) -> T:
    """``attempt()`` until it succeeds; each failure is logged with its reason."""
    deadline = time.monotonic() + within_s
    delay = first_delay_s
    while True:
        try:
            return await attempt()
        except UNREACHABLE as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                log.error("gave up waiting", extra={"for": what, "error": repr(exc)})
                raise
            log.warning(
                "waiting for a dependency",
                extra={"for": what, "error": repr(exc), "retry_in_s": round(delay, 1)},
            )
            await asyncio.sleep(min(delay, left))
            delay = min(delay * 2, 10.0)


async def kafka_answers(bootstrap: str, options: Mapping[str, Any]) -> None:
    """Raise unless the brokers answer (a producer can fetch their metadata)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **options)
    try:
        await producer.start()
    finally:
        await producer.stop()
