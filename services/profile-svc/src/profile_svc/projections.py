"""The ``students`` and ``guardians`` tables, built from profile.events.v1 alone."""

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

GuardianKey = tuple[str, str]


@dataclass
class Changes:
    """A batch folded in log order into what the tables must end up with.

    ``guardians`` are full rows (a link, with any later contact change merged
    in); ``contacts`` are changes to guardians linked in an earlier batch.
    """

    students: dict[str, dict[str, Any]] = field(default_factory=dict)
    guardians: dict[GuardianKey, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[GuardianKey, dict[str, Any]] = field(default_factory=dict)


def _sealed(value: EncryptedValue | None) -> str | None:
    return value.model_dump_json() if value else None


def collect(batch: Sequence[Delivered]) -> Changes:
    changes = Changes()
    for item in batch:
        event = item.event
        time: datetime = item.envelope.time
        if isinstance(event, StudentEnrolled):
            changes.students[event.student_id] = {
                "district_id": event.district_id,
                "school_id": event.school_id,
                "grade": event.grade,
                "section_ids": event.section_ids,
                "display_name": _sealed(event.display_name),
                "enrolled_at": time,
            }
        elif isinstance(event, GuardianLinked):
            key = (event.student_id, event.guardian_id)
            changes.contacts.pop(key, None)  # the link replaces the whole row
            changes.guardians[key] = {
                "relationship": event.relationship,
                "educational_rights": event.educational_rights,
                "linked_at": time,
                **_contact(event),
            }
        elif isinstance(event, ContactPreferencesChanged):
            key = (event.student_id, event.guardian_id)
            if key in changes.guardians:
                changes.guardians[key].update(_contact(event))
            else:
                changes.contacts[key] = _contact(event)
    return changes


def _contact(event: GuardianLinked | ContactPreferencesChanged) -> dict[str, Any]:
    return {
        "language": event.language,
        "email": _sealed(event.email),
        "phone": _sealed(event.phone),
        "consent": json.dumps({str(k): v for k, v in sorted(event.consent.items())}),
    }


class ProfilesProjection:
    """Students with their guardians; personal fields stay encrypted here."""

    name: str = "profiles"
    topics: tuple[str, ...] = (PROFILE_EVENTS.name,)
    tables: tuple[str, ...] = ("students", "guardians")

    async def apply(
        self, conn: asyncpg.Connection, batch: Sequence[Delivered]
    ) -> Sequence[Envelope]:
        changes = collect(batch)
        await _students(conn, changes.students)
        await _guardians(conn, changes.guardians)
        await _contacts(conn, changes.contacts)
        return ()


async def _students(conn: asyncpg.Connection, rows: dict[str, dict[str, Any]]) -> None:
    if not rows:
        return
    values = list(rows.values())
    # section_ids travel as JSON: unnest would flatten an array of arrays.
    await conn.execute(
        """INSERT INTO students AS s (student_id, district_id, school_id, grade, section_ids,
                                      display_name, enrolled_at)
           SELECT u.sid, u.district, u.school, u.grade,
                  ARRAY(SELECT jsonb_array_elements_text(u.sections)), u.name, u.at
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[],
                         $6::jsonb[], $7::timestamptz[])
                  AS u(sid, district, school, grade, sections, name, at)
           ON CONFLICT (student_id) DO UPDATE SET
               district_id = excluded.district_id, school_id = excluded.school_id,
               grade = excluded.grade, section_ids = excluded.section_ids,
               display_name = excluded.display_name, enrolled_at = excluded.enrolled_at""",
        list(rows),
        [v["district_id"] for v in values],
        [v["school_id"] for v in values],
        [v["grade"] for v in values],
        [json.dumps(v["section_ids"]) for v in values],
        [v["display_name"] for v in values],
        [v["enrolled_at"] for v in values],
    )


async def _guardians(conn: asyncpg.Connection, rows: dict[GuardianKey, dict[str, Any]]) -> None:
    if not rows:
        return
    values = list(rows.values())
    await conn.execute(
        """INSERT INTO guardians (student_id, guardian_id, relationship, educational_rights,
                                  language, email, phone, consent, linked_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::text[],
                                $6::jsonb[], $7::jsonb[], $8::jsonb[], $9::timestamptz[])
           ON CONFLICT (student_id, guardian_id) DO UPDATE SET
               relationship = excluded.relationship,
               educational_rights = excluded.educational_rights,
               language = excluded.language, email = excluded.email, phone = excluded.phone,
               consent = excluded.consent, linked_at = excluded.linked_at""",
        [s for s, _ in rows],
        [g for _, g in rows],
        [v["relationship"] for v in values],
        [v["educational_rights"] for v in values],
        [v["language"] for v in values],
        [v["email"] for v in values],
        [v["phone"] for v in values],
        [v["consent"] for v in values],
        [v["linked_at"] for v in values],
    )


async def _contacts(conn: asyncpg.Connection, rows: dict[GuardianKey, dict[str, Any]]) -> None:
    if not rows:
        return
    values = list(rows.values())
    await conn.execute(
        """UPDATE guardians AS g
              SET language = u.language, email = u.email, phone = u.phone, consent = u.consent
             FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[],
                         $6::jsonb[]) AS u(student_id, guardian_id, language, email, phone,
                                           consent)
            WHERE g.student_id = u.student_id AND g.guardian_id = u.guardian_id""",
        [s for s, _ in rows],
        [g for _, g in rows],
        [v["language"] for v in values],
        [v["email"] for v in values],
        [v["phone"] for v in values],
        [v["consent"] for v in values],
    )
