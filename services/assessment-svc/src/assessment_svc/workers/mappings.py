"""At startup: mappings stored before they were on the log are queued onto it, once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from assessment_svc.commands.mappings import backfill
from pathwise_runtime.service import Runtime

log = logging.getLogger(__name__)


async def start_backfill(runtime: Runtime) -> Callable[[], Awaitable[None]]:
    """Runs before the service reports started, so a replay after it finds them all."""
    queued = await backfill(runtime.pool, source=runtime.source)
    if queued:
        log.info("competency mappings queued onto the log", extra={"mappings": queued})

    async def stop() -> None:
        return None

    return stop
