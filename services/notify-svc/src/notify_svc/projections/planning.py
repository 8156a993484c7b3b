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


def student_lock_key(student_id: str) -> int:
    """A signed 64-bit advisory-lock key per student."""
    digest = hashlib.sha256(b"notify-svc|student|" + student_id.encode()).digest()
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
        subjects = {d.envelope.subject for d in batch}
        await _lock_students(conn, subjects)
        erased = {
            r["student_id"]
            for r in await conn.fetch(
                "SELECT student_id FROM erased_students WHERE student_id = ANY($1::text[])",
                sorted(subjects),
            )
        }
        homes = await _homes(conn, subjects)
        touched: set[tuple[str, str]] = set()
        taught: set[str] = set()
        found: list[causes.Cause] = []
        for item in batch:
            event, envelope = item.event, item.envelope
            if isinstance(event, SubjectErased):
                await recipients.erase(conn, event, touched)
                if event.kind == "student":
                    erased.add(event.student_id)
                continue
            if event.student_id in erased:
                continue  # nothing is planned about an erased student, whatever the order
            if isinstance(event, StudentEnrolled):
                await conn.execute(
                    """INSERT INTO students (student_id, district_id) VALUES ($1, $2)
                       ON CONFLICT (student_id) DO UPDATE SET district_id = excluded.district_id""",
                    event.student_id,
                    event.district_id,
                )
                homes[event.student_id] = event.district_id
            elif isinstance(event, GuardianLinked):
                await recipients.link(conn, event, envelope)
                touched.add((event.student_id, event.guardian_id))
            elif isinstance(event, ContactPreferencesChanged):
                await recipients.change_preferences(conn, event, envelope)
                touched.add((event.student_id, event.guardian_id))
            elif isinstance(event, ConsentChanged):
                await recipients.change_consent(conn, event, envelope)
                touched.add((event.student_id, event.guardian_id))
            elif isinstance(event, TeachersAssigned):
                await recipients.assign_teachers(conn, event, envelope)
                taught.add(event.student_id)
            elif homes.get(event.student_id, envelope.districtid) != envelope.districtid:
                log.warning(
                    "a fact from a district the student is not enrolled in was not planned",
                    extra={"event_id": str(envelope.id), "district": envelope.districtid},
                )
            else:
                fact = await causes.cause_of(conn, self._rules, event, envelope)
                if fact is not None:
                    found.append(fact)
        # A fact collected earlier in this batch than its student's erasure goes too.
        new_causes = await causes.insert_causes(conn, [c for c in found if c[1] not in erased])
        taught -= erased
        await planned.replan_guardians(conn, self._rules, touched, new_causes)
        await planned.replan_teachers(conn, self._rules, taught, new_causes)
        return []


async def _homes(conn: asyncpg.Connection, students: Iterable[str]) -> dict[str, str]:
    """Each student's district as enrolled: a path fact from any other district is never
    told to the family (path-svc keeps districts apart even under one student id)."""
    rows = await conn.fetch(
        "SELECT student_id, district_id FROM students WHERE student_id = ANY($1::text[])",
        sorted(students),
    )
    return {r["student_id"]: r["district_id"] for r in rows}


async def _lock_students(conn: asyncpg.Connection, students: Iterable[str]) -> None:
    """Serialise batches about the same student across replicas and topics.

    Without it, a guardian and a fact committed concurrently by two
    transactions would each miss the other and no notification would be
    planned. Keys are taken in one global order, so two batches cannot deadlock.
    """
    keys = sorted({student_lock_key(s) for s in students})
    if keys:
        # unnest yields the keys in array order, so they are locked in that order.
        await conn.execute("SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k", keys)
