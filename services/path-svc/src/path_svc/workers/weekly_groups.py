"""Weekly small-group suggestions per class section, published as GroupsSuggested.

Groups span students on many partitions, so they cannot be derived inside a
projection without making replay depend on how partitions interleave. They are
an effect instead, like an email: a worker reads the current paths once per ISO
week and section and queues the suggestion through the outbox. Its id derives
from (district, section, week), so a restart, a second replica or a re-run in
the same week adds nothing (the outbox and every consumer drop the repeat).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from path_svc.queries import sections
from pathwise_contracts import Envelope, GroupsSuggested, derive_event_id
from pathwise_runtime import outbox
from pathwise_runtime.service import Runtime

log = logging.getLogger(__name__)
INTERVAL_S = 3600.0


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


async def publish_week(runtime: Runtime, now: datetime) -> int:
    """Queue this week's suggestion for every section that has groups; returns how many."""
    week = iso_week(now)
    queued = 0
    async with runtime.pool.acquire() as conn:
        for district, section in await sections.all_sections(conn):
            suggested = await sections.groups(conn, district, section)
            if not suggested:
                continue
            event = GroupsSuggested(
                student_id=f"section:{section}", section_id=section, week=week, groups=suggested
            )
            envelope = Envelope.wrap(
                event,
                id=derive_event_id("groups", district, section, week),
                source=runtime.source,
                district_id=district,
                time=now,
            )
            async with conn.transaction():
                queued += await outbox.add_events(conn, [envelope])
    return queued


async def start_weekly_groups(runtime: Runtime) -> Callable[[], Awaitable[None]]:
    """ServiceSpec worker: once an hour, make sure this week's suggestions are out."""
    stopping = asyncio.Event()

    async def loop() -> None:
        while not stopping.is_set():
            try:
                queued = await publish_week(runtime, datetime.now(UTC))
                if queued:
                    log.info("weekly groups suggested", extra={"sections": queued})
            except Exception:
                log.exception("weekly group suggestions failed; will retry")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), INTERVAL_S)

    task = asyncio.create_task(loop(), name="weekly-groups")

    async def stop() -> None:
        stopping.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return stop
