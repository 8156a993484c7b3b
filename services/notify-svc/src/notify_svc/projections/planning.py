"""The ``planning`` projection: whom to tell about what and when, from the profile and path topics.

It reads both topics so that the planned notifications are a function of the
current recipients and the facts alone, whatever order the two topics were
interleaved in; that is what lets replay rebuild the tables identically. The
three decisions live apart: ``recipients`` (who can be told: guardians and
the student's teachers), ``causes`` (what is worth telling) and ``planned``
(when each recipient is told, inside the fact's news window). A student's
erasure leaves a tombstone so facts that arrive after it on the other topic
are not planned again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence

import asyncpg

from notify_svc.domain.rules import load as load_rules
from notify_svc.projections import causes, planned, recipients
from notify_svc.projections.causes import summary_cause_id, week_of
from notify_svc.projections.planned import (
    PLANNED_CHANNEL,
    notification_id,
    teacher_notification_id,
)
from pathwise_contracts import (
    PATH_EVENTS,
    PROFILE_EVENTS,
    ConsentChanged,
    ContactPreferencesChanged,
    Envelope,
    GuardianLinked,
    StudentEnrolled,
    SubjectErased,
    TeachersAssigned,
)
from pathwise_runtime.projection import Delivered

log = logging.getLogger(__name__)

__all__ = [
    "PLANNED_CHANNEL",
    "PlanningProjection",
    "notification_id",
    "student_lock_key",
    "summary_cause_id",
    "teacher_notification_id",
    "week_of",
]


def student_lock_key(district_id: str, student_id: str) -> int:
    """A signed 64-bit advisory-lock key per (district, student)."""
    key = f"notify-svc|student|{len(district_id)}:{district_id}|{student_id}"
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PlanningProjection:
    """students, guardians, causes, paths and the notifications they imply."""

    name: str = "planning"
    topics: tuple[str, ...] = (PROFILE_EVENTS.name, PATH_EVENTS.name)
    tables: tuple[str, ...] = (
        "students",
        "guardians",
        "causes",
        "notifications",
        "paths",
        "erased_students",
        "teachers",
    )

    def __init__(self) -> None:
        self._rules = load_rules()

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Delivered]) -> list[Envelope]:
        subjects = {(d.envelope.districtid, d.envelope.subject) for d in batch}
        await _lock_students(conn, subjects)
        erased = await _erased(conn, subjects)
        homes = await _homes(conn, {s for _, s in subjects})
        facts = causes.Facts(conn, self._rules)
        await facts.load((d.event, d.envelope) for d in batch)
        enrolled: set[tuple[str, str]] = set()
        writes = recipients.Writes()
        touched: set[tuple[str, str, str]] = set()
        taught: set[tuple[str, str]] = set()
        found: list[causes.Cause] = []
        for item in batch:
            event, envelope = item.event, item.envelope
            district = envelope.districtid
            if isinstance(event, SubjectErased):
                await writes.flush(conn)  # the erasure deletes what they wrote
                await recipients.erase(conn, event, envelope, touched)
                student = event.kind == "student"
                facts.forget(district, event.student_id, student_erased=student)
                if student:
                    erased.add((district, event.student_id))
                    enrolled.discard((district, event.student_id))
                continue
            if (district, event.student_id) in erased:
                continue  # nothing is planned about an erased student, whatever the order
            if isinstance(event, StudentEnrolled):
                enrolled.add((district, event.student_id))
                homes.setdefault(event.student_id, set()).add(district)
            elif isinstance(event, GuardianLinked):
                recipients.link(writes, event, envelope)
                touched.add((district, event.student_id, event.guardian_id))
            elif isinstance(event, ContactPreferencesChanged):
                recipients.change_preferences(writes, event, envelope)
                touched.add((district, event.student_id, event.guardian_id))
            elif isinstance(event, ConsentChanged):
                recipients.change_consent(writes, event, envelope)
                touched.add((district, event.student_id, event.guardian_id))
            elif isinstance(event, TeachersAssigned):
                recipients.assign_teachers(writes, event, envelope)
                taught.add((district, event.student_id))
            elif district not in homes.get(event.student_id, {district}):
                log.warning(
                    "a fact from a district the student is not enrolled in was not planned",
                    extra={"event_id": str(envelope.id), "district": envelope.districtid},
                )
            else:
                fact = await facts.cause_of(event, envelope)
                if fact is not None:
                    found.append(fact)
        await writes.flush(conn)
        await _enrol(conn, enrolled)
        await facts.flush()
        # A fact collected earlier in this batch than its student's erasure goes too.
        new_causes = await causes.insert_causes(
            conn, [c for c in found if (c[2], c[1]) not in erased]
        )
        taught -= erased
        await planned.replan_guardians(conn, self._rules, touched, new_causes)
        await planned.replan_teachers(conn, self._rules, taught, new_causes)
        return []


async def _enrol(conn: asyncpg.Connection, students: Iterable[tuple[str, str]]) -> None:
    """The batch's enrolments in one statement (nothing in a batch reads them back)."""
    pairs = sorted(students)
    if pairs:
        await conn.execute(
            """INSERT INTO students (district_id, student_id)
               SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING""",
            [d for d, _ in pairs],
            [s for _, s in pairs],
        )


async def _erased(
    conn: asyncpg.Connection, students: Iterable[tuple[str, str]]
) -> set[tuple[str, str]]:
    """The (district, student) pairs among ``students`` that their district erased."""
    pairs = sorted(students)
    rows = await conn.fetch(
        """SELECT e.district_id, e.student_id FROM erased_students e
             JOIN unnest($1::text[], $2::text[]) AS k(district_id, student_id)
               USING (district_id, student_id)""",
        [d for d, _ in pairs],
        [s for _, s in pairs],
    )
    return {(r["district_id"], r["student_id"]) for r in rows}


async def _homes(conn: asyncpg.Connection, students: Iterable[str]) -> dict[str, set[str]]:
    """The districts each student id is enrolled in: a path fact from any other district
    is never told to a family (path-svc keeps districts apart even under one id)."""
    rows = await conn.fetch(
        "SELECT student_id, district_id FROM students WHERE student_id = ANY($1::text[])",
        sorted(students),
    )
    homes: dict[str, set[str]] = {}
    for r in rows:
        homes.setdefault(r["student_id"], set()).add(r["district_id"])
    return homes


async def _lock_students(conn: asyncpg.Connection, students: Iterable[tuple[str, str]]) -> None:
    """Serialise batches about the same student across replicas and topics.

    Without it, a guardian and a fact committed concurrently by two
    transactions would each miss the other and no notification would be
    planned. Keys are taken in one global order, so two batches cannot deadlock.
    """
    keys = sorted({student_lock_key(d, s) for d, s in students})
    if keys:
        # unnest yields the keys in array order, so they are locked in that order.
        await conn.execute("SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k", keys)
