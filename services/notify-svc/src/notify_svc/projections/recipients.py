"""Who can be told: the student's guardians and teachers, as the profile topic says.

Each keeps the moment since which they are reachable on a channel (rights,
consent and an address), which ``planned`` compares with a fact's time; an
erasure drops every row about the person.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

import asyncpg

from notify_svc.domain.audience import CHANNEL, reachable_by_email, reachable_by_sms
from notify_svc.projections.delivery_log import REDACTED
from pathwise_contracts import (
    Channel,
    ConsentChanged,
    ContactPreferencesChanged,
    EncryptedValue,
    Envelope,
    GuardianLinked,
    SubjectErased,
    TeachersAssigned,
)

# Every table holding rows about a student, each keyed by (district, student); all of
# a district's rows about them go when that district erases the student.
STUDENT_TABLES = (
    "notifications",
    "causes",
    "guardians",
    "teachers",
    "paths",
    "students",
    "delivery_log",
    "deliveries",
    "sms_recipients",
)


def _sealed(value: EncryptedValue | None) -> str | None:
    return value.model_dump_json() if value is not None else None


def _consent(consent: Mapping[Channel, bool]) -> str:
    return json.dumps({str(k): v for k, v in consent.items()})


class Writes:
    """A batch's profile writes, sent as one pipelined executemany per statement and round.

    Each write touches only its own (district, student)'s rows, so writes about
    different students commute: round n holds every student's n-th write, which
    keeps each student's writes in log order. ``flush`` before anything that
    reads or deletes them (an erasure) and at the end of the batch.
    """

    def __init__(self) -> None:
        self._queued: list[tuple[tuple[str, str], str, list[tuple[Any, ...]]]] = []

    def add(self, district: str, student: str, sql: str, *rows: tuple[Any, ...]) -> None:
        self._queued.append(((district, student), sql, list(rows)))

    async def flush(self, conn: asyncpg.Connection) -> None:
        rounds: list[dict[str, list[tuple[Any, ...]]]] = []
        seen: Counter[tuple[str, str]] = Counter()
        for student, sql, rows in self._queued:
            n = seen[student]
            seen[student] += 1
            if n == len(rounds):
                rounds.append({})
            rounds[n].setdefault(sql, []).extend(rows)
        self._queued.clear()
        for statements in rounds:
            for sql, rows in statements.items():
                if rows:
                    await conn.executemany(sql, rows)


async def erase(
    conn: asyncpg.Connection,
    event: SubjectErased,
    envelope: Envelope,
    touched: set[tuple[str, str, str]],
) -> None:
    """Drop every row about the erased person in the erasure's district: a student, all
    of it (their delivery log, the sender's state and the numbers texted included); a
    guardian, their link, what was still to be sent to them, and their name in the
    delivery log. Another district's person under the same id is not touched."""
    district, student = envelope.districtid, event.student_id
    # Waits for delivery-log batches in flight, which take SHARE (see delivery_log).
    await conn.execute("LOCK TABLE erased_students IN SHARE ROW EXCLUSIVE MODE")
    if event.kind == "student":
        await conn.execute(
            "INSERT INTO erased_students (district_id, student_id) VALUES ($1, $2) "
            "ON CONFLICT DO NOTHING",
            district,
            student,
        )
        for table in STUDENT_TABLES:
            await conn.execute(
                f"DELETE FROM {table} WHERE district_id = $1 AND student_id = $2",
                district,
                student,
            )
        touched.difference_update({t for t in touched if t[:2] == (district, student)})
        return
    guardian = event.subject_id
    await conn.execute(
        "INSERT INTO erased_guardians (district_id, student_id, guardian_id) "
        "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        district,
        student,
        guardian,
    )
    await conn.execute(
        """DELETE FROM notifications
            WHERE district_id = $1 AND student_id = $2 AND guardian_id = $3
              AND audience = 'guardians'""",
        district,
        student,
        guardian,
    )
    for table in ("guardians", "sms_recipients"):
        await conn.execute(
            f"DELETE FROM {table} WHERE district_id = $1 AND student_id = $2 AND guardian_id = $3",
            district,
            student,
            guardian,
        )
    await conn.execute(
        """DELETE FROM deliveries
            WHERE district_id = $1 AND student_id = $2 AND guardian_id = $3
              AND state NOT IN ('sent', 'dead')""",
        district,
        student,
        guardian,
    )
    await conn.execute(
        """UPDATE deliveries SET guardian_id = $4, last_error = NULL
            WHERE district_id = $1 AND student_id = $2 AND guardian_id = $3""",
        district,
        student,
        guardian,
        REDACTED,
    )
    await conn.execute(
        """UPDATE delivery_log SET guardian_id = $4, error = NULL
            WHERE district_id = $1 AND student_id = $2 AND guardian_id = $3
              AND recipient = 'guardian'""",
        district,
        student,
        guardian,
        REDACTED,
    )
    touched.discard((district, student, guardian))


def assign_teachers(writes: Writes, event: TeachersAssigned, envelope: Envelope) -> None:
    """Replace the student's teachers with the full set on the log.

    A teacher who stays keeps the time since which they could be told; one who
    left is dropped (their unsent alerts with them, in ``planned.replan_teachers``).
    """
    ids = sorted({t.teacher_id for t in event.teachers})
    district, student = envelope.districtid, event.student_id
    writes.add(
        district,
        student,
        """DELETE FROM teachers
            WHERE district_id = $1 AND student_id = $2 AND NOT (teacher_id = ANY($3::text[]))""",
        (district, student, ids),
    )
    by_id = {t.teacher_id: t for t in event.teachers}
    writes.add(
        district,
        student,
        """INSERT INTO teachers AS t (student_id, teacher_id, email, assigned_at,
                                      reachable_since, district_id)
           VALUES ($1, $2, $3::jsonb, $4::timestamptz,
                   CASE WHEN $5::boolean THEN $4::timestamptz END, $6)
           ON CONFLICT (district_id, student_id, teacher_id) DO UPDATE
              SET email = excluded.email,
                  reachable_since = CASE WHEN $5::boolean
                                         THEN coalesce(t.reachable_since,
                                                       $4::timestamptz) END""",
        *[
            (
                student,
                teacher,
                _sealed(by_id[teacher].email),
                envelope.time,
                by_id[teacher].email is not None,
                district,
            )
            for teacher in ids
        ],
    )


def link(writes: Writes, event: GuardianLinked, envelope: Envelope) -> None:
    reachable = reachable_by_email(event.educational_rights, event.consent, event.email is not None)
    texted = reachable_by_sms(event.educational_rights, event.consent, event.phone is not None)
    writes.add(
        envelope.districtid,
        event.student_id,
        """INSERT INTO guardians AS g (student_id, guardian_id, relationship, educational_rights,
                                       language, email, phone, consent, linked_at, eligible_since,
                                       sms_eligible_since, district_id)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9,
                   CASE WHEN $10::boolean THEN $9::timestamptz END,
                   CASE WHEN $11::boolean THEN $9::timestamptz END, $12)
           ON CONFLICT (district_id, student_id, guardian_id) DO UPDATE
              SET relationship = excluded.relationship,
                  educational_rights = excluded.educational_rights,
                  language = excluded.language,
                  email = excluded.email,
                  phone = excluded.phone,
                  consent = excluded.consent,
                  eligible_since = CASE WHEN $10::boolean
                                        THEN coalesce(g.eligible_since, $9::timestamptz) END,
                  sms_eligible_since = CASE WHEN $11::boolean
                                            THEN coalesce(g.sms_eligible_since,
                                                          $9::timestamptz) END""",
        (
            event.student_id,
            event.guardian_id,
            event.relationship,
            event.educational_rights,
            event.language,
            _sealed(event.email),
            _sealed(event.phone),
            _consent(event.consent),
            envelope.time,
            reachable,
            texted,
            envelope.districtid,
        ),
    )


def change_preferences(
    writes: Writes, event: ContactPreferencesChanged, envelope: Envelope
) -> None:
    """Update a known link; profile-svc orders a guardian's link before their changes."""
    # Rights come from the stored link, so reachability is decided in SQL.
    consents = reachable_by_email(True, event.consent, event.email is not None)
    texts = reachable_by_sms(True, event.consent, event.phone is not None)
    quiet = event.quiet_hours.model_dump_json() if event.quiet_hours else None
    frequency = (
        json.dumps({str(k): str(v) for k, v in event.frequency.items()})
        if event.frequency
        else None
    )
    writes.add(
        envelope.districtid,
        event.student_id,
        """UPDATE guardians
              SET language = $3, email = $4::jsonb, phone = $5::jsonb, consent = $6::jsonb,
                  eligible_since = CASE WHEN educational_rights AND $7::boolean
                                        THEN coalesce(eligible_since, $8::timestamptz) END,
                  sms_eligible_since = CASE WHEN educational_rights AND $12::boolean
                                            THEN coalesce(sms_eligible_since,
                                                          $8::timestamptz) END,
                  time_zone = $9, quiet_hours = $10::jsonb, frequency = $11::jsonb
            WHERE student_id = $1 AND guardian_id = $2 AND district_id = $13""",
        (
            event.student_id,
            event.guardian_id,
            event.language,
            _sealed(event.email),
            _sealed(event.phone),
            _consent(event.consent),
            consents,
            envelope.time,
            event.time_zone,
            quiet,
            frequency,
            texts,
            envelope.districtid,
        ),
    )


def change_consent(writes: Writes, event: ConsentChanged, envelope: Envelope) -> None:
    """One channel's consent; the full-state ContactPreferencesChanged that follows agrees."""
    writes.add(
        envelope.districtid,
        event.student_id,
        """UPDATE guardians
              SET consent = consent || jsonb_build_object($3::text, $4::boolean),
                  eligible_since = CASE WHEN educational_rights AND email IS NOT NULL
                                         AND (CASE WHEN $3::text = $6::text THEN $4::boolean
                                                   ELSE coalesce((consent ->> $6::text)::boolean,
                                                                 false) END)
                                        THEN coalesce(eligible_since, $5::timestamptz) END,
                  sms_eligible_since = CASE WHEN educational_rights AND phone IS NOT NULL
                                         AND (CASE WHEN $3::text = $7::text THEN $4::boolean
                                                   ELSE coalesce((consent ->> $7::text)::boolean,
                                                                 false) END)
                                        THEN coalesce(sms_eligible_since, $5::timestamptz) END
            WHERE student_id = $1 AND guardian_id = $2 AND district_id = $8""",
        (
            event.student_id,
            event.guardian_id,
            str(event.channel),
            event.granted,
            envelope.time,
            str(CHANNEL),
            str(Channel.SMS),
            envelope.districtid,
        ),
    )
