"""The districts' clock: one ``SchoolDayEnded`` per district and school day, through the outbox.

Inactivity needs time to pass without any fact of the student, so time itself
must be a fact on the log, or a replay could not judge it the same. This worker
is the only reader of the wall clock: once an hour it finds, per district that
has students, the latest school day that has ended in the district's calendar
and queues its tick. Everything in the tick (its day, its time, the idle
window) derives from that day and the calendar, and its id from (district,
day), so a restart or a second replica adds nothing (the outbox and every
consumer drop the repeat). After an outage only the latest school day is
ticked: it judges everything the missed ones would have.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from path_svc.domain.school_calendar import Calendars, day_end, idle_since, last_ended
from path_svc.settings import CalendarSettings
from pathwise_contracts import Envelope, SchoolDayEnded, derive_event_id
from pathwise_runtime import outbox
from pathwise_runtime.service import Runtime

log = logging.getLogger(__name__)
INTERVAL_S = 3600.0


async def tick(runtime: Runtime, now: datetime, calendars: Calendars) -> int:
    """Queue the latest ended school day of every district with students; returns how many."""
    queued = 0
    async with runtime.pool.acquire() as conn:
        districts = [r["district_id"] for r in await conn.fetch(_DISTRICTS)]
        for district in districts:
            cal = calendars.of(district)
            day = last_ended(cal, now)
            if day is None:
                continue
            event_id = derive_event_id("school-day", district, day.isoformat())
            if await conn.fetchval(_APPLIED, event_id):
                continue  # ticked and applied already: do not re-publish it every hour
            try:
                since = idle_since(cal, day)
            except ValueError:  # too few school days in a year: one district's calendar
                log.exception("no idle window", extra={"district": district})
                continue
            event = SchoolDayEnded(
                student_id=f"district:{district}",
                day=day,
                inactive_after=cal.inactive_after,
                idle_since=since,
            )
            envelope = Envelope.wrap(
                event,
                id=event_id,
                source=runtime.source,
                district_id=district,
                time=day_end(cal, day),
            )
            async with conn.transaction():
                queued += await outbox.add_events(conn, [envelope])
    return queued


_DISTRICTS = "SELECT DISTINCT district_id FROM planners ORDER BY district_id"
_APPLIED = """SELECT 1 FROM pathwise_applied_events
               WHERE projection = 'planning' AND event_id = $1"""


async def start_school_days(runtime: Runtime) -> Callable[[], Awaitable[None]]:
    """ServiceSpec worker: once an hour, make sure every district's last school day ticked."""
    calendars = CalendarSettings().calendars()  # a bad calendar fails the start, not a tick
    stopping = asyncio.Event()

    async def loop() -> None:
        while not stopping.is_set():
            try:
                queued = await tick(runtime, datetime.now(UTC), calendars)
                if queued:
                    log.info("school days ended", extra={"districts": queued})
            except Exception:
                log.exception("school-day ticks failed; will retry")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), INTERVAL_S)

    task = asyncio.create_task(loop(), name="school-days")

    async def stop() -> None:
        stopping.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return stop
