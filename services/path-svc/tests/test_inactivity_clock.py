"""Inactivity by the clock: the school-day worker, the fan-out and the judgment, and replay.

The log is kept by hand here (partitions by key, offsets per partition) and
every event the projections queue goes back onto it, as the relay would put
it; the clock is the ``now`` passed to the worker, never the machine's.
"""

from __future__ import annotations

import uuid
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import asyncpg
import pytest
from aiokafka import ConsumerRecord
from path_support import TEST_SOURCE, record

from path_svc.domain.school_calendar import Calendars, calendar, day_end
from path_svc.main import SPEC
from path_svc.projections import LearnerProjection, PlanningProjection
from path_svc.workers.school_days import tick
from pathwise_contracts import (
    PATH_EVENTS,
    Envelope,
    Event,
    InactivityCheckDue,
    LearnerProfileChanged,
    MasteryUpdated,
    SchoolDayEnded,
    SubjectErased,
    SupportNeeded,
    SupportResolved,
)
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.service import open_pool, prepare_database

pytestmark = pytest.mark.integration
SOURCE = "urn:pathwise:path-svc"
PARTITIONS = 3
# d1: three school days make a step inactive; Monday 2026-09-14 is a holiday.
CALENDARS = Calendars(
    districts={"d1": calendar({"inactive_after_school_days": 3, "holidays": ["2026-09-14"]}, UTC)}
)
PATH_STARTS = datetime(2026, 9, 10, 8, tzinfo=UTC)  # a Thursday
SCHOOL_DAYS = [date(2026, 9, d) for d in (10, 11, 15, 16, 17)]

Record = ConsumerRecord[bytes, bytes]


class Log:
    """The topics as the broker would hold them: one order per partition."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self._next: dict[tuple[str, int], int] = defaultdict(int)

    def append(self, envelopes: Sequence[Envelope]) -> list[Record]:
        out = []
        for e in envelopes:
            part = zlib.crc32(e.subject.encode()) % PARTITIONS
            topic = e.event().topic
            out.append(record(e, self._next[(topic, part)], partition=part))
            self._next[(topic, part)] += 1
        self.records += out
        return out

    def of(self, topic: str) -> list[Record]:
        return [r for r in self.records if r.topic == topic]


def wrap(event: Event, at: datetime, district: str = "d1") -> Envelope:
    return Envelope.wrap(
        event,
        id=uuid.uuid5(uuid.NAMESPACE_URL, f"{district}/{event.student_id}/{event.type}/{at}"),
        source=TEST_SOURCE,
        district_id=district,
        time=at,
    )


def starts(student: str, district: str = "d1") -> Envelope:
    """A fresh path from a goal, with no evidence yet."""
    event = LearnerProfileChanged(
        student_id=student,
        goals=["3.OA.A.1"],
        cause_event_id=uuid.uuid5(uuid.NAMESPACE_URL, student),
    )
    return wrap(event, PATH_STARTS, district)


def evidence(student: str, code: str, at: datetime) -> Envelope:
    event = MasteryUpdated(
        student_id=student,
        competency_id=code,
        p_mastery=0.4,
        previous=0.2,
        evidence_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{student}/{at}"),
        attempts=1,
    )
    return wrap(event, at)


async def fresh_pool(database: Callable[[], str]) -> asyncpg.Pool:
    dsn = database()
    await prepare_database(dsn, SPEC.migrations)
    return await open_pool(dsn, min_size=1, max_size=2)


async def tables(pool: asyncpg.Pool) -> dict[str, list[tuple[Any, ...]]]:
    async with pool.acquire() as conn:
        return {
            t: [tuple(r) for r in await conn.fetch(f"SELECT * FROM {t} ORDER BY 1, 2, 3")]
            for t in ("planners", "paths", "path_history")
        }


class Live:
    """path-svc's planning and learners consumers, with the relay feeding the log."""

    def __init__(self, pool: asyncpg.Pool, bootstrap: str) -> None:
        self.pool, self.log, self._seq = pool, Log(), 0
        self.planning = BatchApplier(PlanningProjection(source=SOURCE), pool, bootstrap)
        self.learners = BatchApplier(LearnerProjection(source=SOURCE), pool, bootstrap)

    async def publish(self, envelopes: Sequence[Envelope]) -> None:
        """Append, apply, and keep relaying what that derives until nothing new comes."""
        while envelopes:
            fresh = self.log.append(envelopes)
            path = [r for r in fresh if r.topic == PATH_EVENTS.name]
            profile = [r for r in fresh if r.topic != PATH_EVENTS.name]
            if profile:
                await self.learners.apply(profile)
            if path:
                await self.planning.apply(path)
            envelopes = await self._relay()

    async def _relay(self) -> list[Envelope]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT seq, payload FROM pathwise_outbox WHERE seq > $1 ORDER BY seq", self._seq
            )
        if rows:
            self._seq = rows[-1]["seq"]
        return [Envelope.from_bytes(bytes(r["payload"])) for r in rows]

    async def day_ends(self, day: date) -> int:
        """The worker runs when the day has ended, and again (a second replica, a restart)."""
        runtime = SimpleNamespace(pool=self.pool, source=SOURCE)
        now = day_end(CALENDARS.of("d1"), day)
        queued = await tick(runtime, now, CALENDARS)  # type: ignore[arg-type]
        assert await tick(runtime, now + timedelta(minutes=30), CALENDARS) == 0  # type: ignore[arg-type]
        await self.publish(await self._relay())
        return queued

    def events(self) -> list[Event]:
        return [Envelope.from_bytes(r.value or b"").event() for r in self.log.of(PATH_EVENTS.name)]


async def replay(database: Callable[[], str], bootstrap: str, log: Log) -> tuple[Any, Any]:
    """Rebuild from the log alone, in another interleaving: partition by partition."""
    pool = await fresh_pool(database)
    try:
        learners = BatchApplier(LearnerProjection(source=SOURCE), pool, bootstrap)
        planning = BatchApplier(PlanningProjection(source=SOURCE), pool, bootstrap)
        profile = [r for r in log.records if r.topic != PATH_EVENTS.name]
        if profile:  # intake before planning, as the service replays
            await learners.apply(profile)
        path = sorted(log.of(PATH_EVENTS.name), key=lambda r: (r.partition, r.offset))
        for i in range(0, len(path), 5):
            await planning.apply(path[i : i + 5])
        async with pool.acquire() as conn:
            rows = await conn.fetch("SELECT payload FROM pathwise_outbox ORDER BY seq")
        derived = [Envelope.from_bytes(bytes(r["payload"])) for r in rows]
        return await tables(pool), alerts(derived)
    finally:
        await pool.close()


def alerts(envelopes: Sequence[Envelope]) -> set[tuple[str, str]]:
    wanted = (SupportNeeded.type, SupportResolved.type)
    return {(str(e.id), e.type) for e in envelopes if e.type in wanted}


async def test_a_student_who_stops_is_flagged_after_n_school_days_and_replays_the_same(
    database: Callable[[], str], kafka_bootstrap: str
) -> None:
    pool = await fresh_pool(database)
    try:
        live = Live(pool, kafka_bootstrap)
        gone = SubjectErased(
            student_id="s-gone",
            version=2,
            subject_id="s-gone",
            kind="student",
            erased_at=PATH_STARTS,
        )
        await live.publish([starts("s-idle"), starts("s-gone"), starts("s-other", "d2")])
        await live.publish([wrap(gone, PATH_STARTS + timedelta(hours=1))])
        opened: dict[date, list[SupportNeeded]] = {}
        for day in SCHOOL_DAYS:
            if day == date(2026, 9, 17):  # the student is back, on every flagged step
                back = datetime(2026, 9, 17, 9, tzinfo=UTC)
                flagged = [e.competency_id for e in opened[date(2026, 9, 16)]]
                await live.publish(
                    [
                        evidence("s-idle", c, back + timedelta(minutes=i))
                        for i, c in enumerate(flagged)
                    ]
                )
            before = len(live.events())
            assert await live.day_ends(day) == 2  # d1 and d2 (its default calendar) tick
            new = live.events()[before:]
            opened[day] = [e for e in new if isinstance(e, SupportNeeded)]
        runtime = SimpleNamespace(pool=pool, source=SOURCE)
        async with pool.acquire() as conn:  # the relay prunes published rows after a while
            await conn.execute("DELETE FROM pathwise_outbox")
        friday_noon = datetime(2026, 9, 18, 12, tzinfo=UTC)  # Thursday is the last ended
        again = await tick(runtime, friday_noon, CALENDARS)  # type: ignore[arg-type]
        live_tables = await tables(pool)
    finally:
        await pool.close()

    events = live.events()
    # Three school days without evidence since the path started on Thursday: Friday,
    # Tuesday (Monday is a holiday) and Wednesday. Not before, not for anyone else.
    assert [d for d, found in opened.items() if found] == [date(2026, 9, 16)]
    assert {e.student_id for e in opened[date(2026, 9, 16)]} == {"s-idle"}
    assert all(
        e.reason == "inactive" and "3 school days" in e.detail for e in opened[date(2026, 9, 16)]
    )
    checks = [e for e in events if isinstance(e, InactivityCheckDue)]
    assert [(c.student_id, c.day) for c in checks] == [("s-idle", date(2026, 9, 16))]
    ticks = [e for e in events if isinstance(e, SchoolDayEnded) and e.student_id == "district:d1"]
    assert [t.day for t in ticks] == SCHOOL_DAYS
    assert ticks[3].inactive_after == 3 and ticks[3].idle_since == datetime(2026, 9, 11, tzinfo=UTC)
    resolved = [e for e in events if isinstance(e, SupportResolved)]
    assert len(opened[date(2026, 9, 16)]) == 3  # one alert per step of the fresh path
    assert {(e.student_id, e.competency_id, e.reason, e.episode) for e in resolved} == {
        (e.student_id, e.competency_id, e.reason, e.episode) for e in opened[date(2026, 9, 16)]
    }
    assert again == 0  # Thursday's tick is on the log and applied: not queued again
    assert not [r for r in live_tables["planners"] if r[1] == "s-gone"]

    # Replay: the same rows and the same alerts from the log alone.
    rebuilt, replayed_alerts = await replay(database, kafka_bootstrap, live.log)
    assert rebuilt == live_tables
    assert replayed_alerts == alerts(
        [Envelope.from_bytes(r.value or b"") for r in live.log.records]
    )
