"""The ``profiles`` projection: students, guardians, goals, reflections, consent history.

Built from profile.events.v1 alone. Enrollments and contact changes (most of
the log) are folded per batch into set-based statements; the learner events in
between go as runs of pipelined statements (``learner_rows.apply_run``), so log
order always holds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from pathwise_contracts import (
    PROFILE_EVENTS,
    ContactPreferencesChanged,
    EncryptedValue,
    Envelope,
    GuardianLinked,
    StudentEnrolled,
)
from pathwise_runtime.projection import Delivered
from profile_svc.projections import learner_rows

Student = tuple[str, str]
"""(district, student id): every row is keyed by both, taken from the event's envelope,
so an event of one district never reaches another's student of the same id."""
GuardianKey = tuple[str, str, str]


@dataclass
class Changes:
    """A batch folded in log order into what the tables must end up with.

    ``guardians`` are full rows (a link, with any later contact change merged
    in); ``contacts`` are changes to guardians linked in an earlier batch.
    """

    students: dict[Student, dict[str, Any]] = field(default_factory=dict)
    guardians: dict[GuardianKey, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[GuardianKey, dict[str, Any]] = field(default_factory=dict)
    versions: dict[Student, int] = field(default_factory=dict)


def _sealed(value: EncryptedValue | None) -> str | None:
    return value.model_dump_json() if value else None


def collect(batch: Sequence[Delivered]) -> Changes:
    changes = Changes()
    for item in batch:
        event = item.event
        time: datetime = item.envelope.time
        district = item.envelope.districtid
        if isinstance(event, StudentEnrolled):
            changes.students[(district, event.student_id)] = {
                "school_id": event.school_id,
                "grade": event.grade,
                "section_ids": event.section_ids,
                "display_name": _sealed(event.display_name),
                "external_ids": json.dumps(event.external_ids, sort_keys=True),
                "external_ids_sealed": _sealed(event.sealed_external_ids),
                "enrolled_at": time,
            }
        elif isinstance(event, GuardianLinked):
            key = (district, event.student_id, event.guardian_id)
            changes.contacts.pop(key, None)  # the link replaces the whole row
            changes.guardians[key] = {
                "relationship": event.relationship,
                "educational_rights": event.educational_rights,
                "linked_at": time,
                **_contact(event),
            }
        elif isinstance(event, ContactPreferencesChanged):
            key = (district, event.student_id, event.guardian_id)
            if key in changes.guardians:
                changes.guardians[key].update(_contact(event))
            else:
                changes.contacts[key] = _contact(event)
        version = getattr(event, "version", None)
        if version is not None:
            sid = (district, event.student_id)
            changes.versions[sid] = max(version, changes.versions.get(sid, 1))
    return changes


CORE = (StudentEnrolled, GuardianLinked, ContactPreferencesChanged)
"""The events ``collect`` folds; any other event is applied on its own, in order."""


def _contact(event: GuardianLinked | ContactPreferencesChanged) -> dict[str, Any]:
    more = event if isinstance(event, ContactPreferencesChanged) else None
    quiet = more.quiet_hours if more else None
    frequency = more.frequency if more else None
    return {
        "language": event.language,
        "email": _sealed(event.email),
        "phone": _sealed(event.phone),
        "consent": json.dumps({str(k): v for k, v in sorted(event.consent.items())}),
        "time_zone": more.time_zone if more else None,
        "quiet_hours": quiet.model_dump_json() if quiet else None,
        "frequency": json.dumps({str(k): str(v) for k, v in sorted(frequency.items())})
        if frequency
        else None,
    }


class ProfilesProjection:
    """Students with their guardians and learner profile; personal fields stay encrypted."""

    name: str = "profiles"
    topics: tuple[str, ...] = (PROFILE_EVENTS.name,)
    tables: tuple[str, ...] = learner_rows.TABLES

    async def apply(
        self, conn: asyncpg.Connection, batch: Sequence[Delivered]
    ) -> Sequence[Envelope]:
        core: list[Delivered] = []
        learner: list[Delivered] = []
        for item in batch:
            if isinstance(item.event, CORE):
                await learner_rows.apply_run(conn, learner)
                learner = []
                core.append(item)
                continue
            await _fold(conn, core)
            core = []
            if learner_rows.is_barrier(item):
                await learner_rows.apply_run(conn, learner)
                learner = []
                await learner_rows.apply(conn, item)
            else:
                learner.append(item)
        await _fold(conn, core)
        await learner_rows.apply_run(conn, learner)
        return ()


async def _fold(conn: asyncpg.Connection, run: Sequence[Delivered]) -> None:
    if not run:
        return
    changes = collect(run)
    await _students(conn, changes.students)
    await _guardians(conn, changes.guardians)
    await _contacts(conn, changes.contacts)
    if changes.versions:
        await conn.execute(
            """UPDATE students AS s SET version = greatest(s.version, u.version)
                 FROM unnest($1::text[], $2::text[], $3::int[])
                      AS u(district_id, student_id, version)
                WHERE s.district_id = u.district_id AND s.student_id = u.student_id""",
            [d for d, _ in changes.versions],
            [s for _, s in changes.versions],
            list(changes.versions.values()),
        )


async def _students(conn: asyncpg.Connection, rows: dict[Student, dict[str, Any]]) -> None:
    if not rows:
        return
    values = list(rows.values())
    # section_ids travel as JSON: unnest would flatten an array of arrays.
    await conn.execute(
        """INSERT INTO students AS s (student_id, district_id, school_id, grade, section_ids,
                                      display_name, enrolled_at, external_ids,
                                      external_ids_sealed)
           SELECT u.sid, u.district, u.school, u.grade,
                  ARRAY(SELECT jsonb_array_elements_text(u.sections)), u.name, u.at, u.ext,
                  u.sealed
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[],
                         $6::jsonb[], $7::timestamptz[], $8::jsonb[], $9::jsonb[])
                  AS u(sid, district, school, grade, sections, name, at, ext, sealed)
           ON CONFLICT (district_id, student_id) DO UPDATE SET
               school_id = excluded.school_id,
               grade = excluded.grade, section_ids = excluded.section_ids,
               display_name = excluded.display_name, enrolled_at = excluded.enrolled_at,
               external_ids = excluded.external_ids,
               external_ids_sealed = excluded.external_ids_sealed""",
        [s for _, s in rows],
        [d for d, _ in rows],
        [v["school_id"] for v in values],
        [v["grade"] for v in values],
        [json.dumps(v["section_ids"]) for v in values],
        [v["display_name"] for v in values],
        [v["enrolled_at"] for v in values],
        [v["external_ids"] for v in values],
        [v["external_ids_sealed"] for v in values],
    )


async def _guardians(conn: asyncpg.Connection, rows: dict[GuardianKey, dict[str, Any]]) -> None:
    if not rows:
        return
    values = list(rows.values())
    await conn.execute(
        """INSERT INTO guardians (district_id, student_id, guardian_id, relationship,
                                  educational_rights, language, email, phone, consent,
                                  linked_at, time_zone, quiet_hours, frequency)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bool[],
                                $6::text[], $7::jsonb[], $8::jsonb[], $9::jsonb[],
                                $10::timestamptz[], $11::text[], $12::jsonb[], $13::jsonb[])
           ON CONFLICT (district_id, student_id, guardian_id) DO UPDATE SET
               relationship = excluded.relationship,
               educational_rights = excluded.educational_rights,
               language = excluded.language, email = excluded.email, phone = excluded.phone,
               consent = excluded.consent, linked_at = excluded.linked_at,
               time_zone = excluded.time_zone, quiet_hours = excluded.quiet_hours,
               frequency = excluded.frequency""",
        [d for d, _, _ in rows],
        [s for _, s, _ in rows],
        [g for _, _, g in rows],
        [v["relationship"] for v in values],
        [v["educational_rights"] for v in values],
        [v["language"] for v in values],
        [v["email"] for v in values],
        [v["phone"] for v in values],
        [v["consent"] for v in values],
        [v["linked_at"] for v in values],
        [v["time_zone"] for v in values],
        [v["quiet_hours"] for v in values],
        [v["frequency"] for v in values],
    )


async def _contacts(conn: asyncpg.Connection, rows: dict[GuardianKey, dict[str, Any]]) -> None:
    if not rows:
        return
    values = list(rows.values())
    await conn.execute(
        """UPDATE guardians AS g
              SET language = u.language, email = u.email, phone = u.phone, consent = u.consent,
                  time_zone = u.time_zone, quiet_hours = u.quiet_hours, frequency = u.frequency
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[],
                         $6::jsonb[], $7::jsonb[], $8::text[], $9::jsonb[], $10::jsonb[])
                  AS u(district_id, student_id, guardian_id, language, email, phone, consent,
                       time_zone, quiet_hours, frequency)
            WHERE g.district_id = u.district_id AND g.student_id = u.student_id
              AND g.guardian_id = u.guardian_id""",
        [d for d, _, _ in rows],
        [s for _, s, _ in rows],
        [g for _, _, g in rows],
        [v["language"] for v in values],
        [v["email"] for v in values],
        [v["phone"] for v in values],
        [v["consent"] for v in values],
        [v["time_zone"] for v in values],
        [v["quiet_hours"] for v in values],
        [v["frequency"] for v in values],
    )
