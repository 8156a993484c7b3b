"""Who teaches each student, told to the log as ``TeachersAssigned``.

Section teachers are roster data (``section_teachers``), not steps of a
student's stream, but other services need them: notify-svc mails a student's
teachers when the student needs support, and may learn that only from the log.
So whenever a section's teachers, a teacher's address or a student's sections
change, the affected students' full teacher sets are recomputed here and, for
each set that differs from what was last published, one ``TeachersAssigned``
is queued in the same transaction. A repeat (an import run twice, the same
PUT) finds the same fingerprint and emits nothing; the event id is derived from
the district, the student and a per-student count, so a retried transaction
cannot publish twice and a set that changes back later still gets its own event.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import asyncpg

from pathwise_contracts import EncryptedValue, Envelope, TeachersAssigned, derive_event_id
from pathwise_contracts.events.profile import AssignedTeacher
from pathwise_runtime import outbox
from profile_svc.adapters.personal import PersonalData

_CHUNK = 500


def _digest(key: bytes, email: str) -> str:
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


async def set_emails(
    conn: asyncpg.Connection,
    personal: PersonalData,
    district: str,
    emails: Mapping[str, str | None],
) -> set[str]:
    """Keep teachers' addresses (None: no address); returns the teachers whose address changed.

    An unchanged address is not sealed again, so the log only hears of real changes.
    """
    if not emails:
        return set()
    rows = await conn.fetch(
        """SELECT teacher_id, email_digest FROM teachers
            WHERE district_id = $1 AND teacher_id = ANY($2::text[])""",
        district,
        sorted(emails),
    )
    known = {r["teacher_id"]: r["email_digest"] for r in rows}
    wanted = {t: (_digest(personal.digest_key, e) if e else None) for t, e in emails.items()}
    changed = sorted(t for t, d in wanted.items() if t not in known or known[t] != d)
    if not changed:
        return set()
    vault = await personal.vault(conn, district, teachers=[t for t in changed if emails[t]])
    sealed: dict[str, str | None] = {}
    for teacher in changed:
        email = emails[teacher]
        sealed[teacher] = (
            vault.seal_teacher(teacher, email.strip()).model_dump_json() if email else None
        )
    await conn.execute(
        """INSERT INTO teachers (district_id, teacher_id, email, email_digest)
           SELECT $1, u.t, u.e::jsonb, u.d FROM unnest($2::text[], $3::text[], $4::text[])
                  AS u(t, e, d)
           ON CONFLICT (district_id, teacher_id) DO UPDATE
              SET email = excluded.email, email_digest = excluded.email_digest""",
        district,
        changed,
        [sealed[t] for t in changed],
        [wanted[t] for t in changed],
    )
    return set(changed)


async def students_in_sections(
    conn: asyncpg.Connection, district: str, sections: Iterable[str]
) -> list[str]:
    """Students (command-side state) in any of ``sections``."""
    wanted = sorted(set(sections))
    if not wanted:
        return []
    rows = await conn.fetch(
        """SELECT student_id FROM student_streams
            WHERE district_id = $1 AND state->'section_ids' ?| $2::text[]""",
        district,
        wanted,
    )
    return [r["student_id"] for r in rows]


async def students_of_teachers(
    conn: asyncpg.Connection, district: str, teachers: Iterable[str]
) -> list[str]:
    """Students in a section taught by any of ``teachers``."""
    rows = await conn.fetch(
        """SELECT DISTINCT section_id FROM section_teachers
            WHERE district_id = $1 AND teacher_id = ANY($2::text[])""",
        district,
        sorted(set(teachers)),
    )
    return await students_in_sections(conn, district, [r["section_id"] for r in rows])


_CURRENT = """
    SELECT s.student_id, s.district_id, s.state->>'status' AS status,
           st.teacher_id, t.email, t.email_digest
      FROM student_streams s
      LEFT JOIN LATERAL jsonb_array_elements_text(
                coalesce(s.state->'section_ids', '[]'::jsonb)) AS sec(section_id) ON true
      LEFT JOIN section_teachers st
             ON st.district_id = s.district_id AND st.section_id = sec.section_id
      LEFT JOIN teachers t ON t.district_id = st.district_id AND t.teacher_id = st.teacher_id
     WHERE s.district_id = $1 AND s.student_id = ANY($2::text[])
"""


def _fingerprint(pairs: Iterable[tuple[str, str | None]]) -> str:
    return hashlib.sha256(json.dumps(sorted(pairs)).encode()).hexdigest()


EMPTY = _fingerprint([])


def _sealed(value: object) -> EncryptedValue | None:
    if value is None:
        return None
    if isinstance(value, str):
        return EncryptedValue.model_validate_json(value)
    return EncryptedValue.model_validate(value)


async def refresh(
    conn: asyncpg.Connection, district: str, student_ids: Iterable[str], *, source: str
) -> int:
    """Publish the teacher set of each of the district's students whose set changed;
    returns events queued.

    Must run inside the transaction that made the change. Students are locked
    in one global order (advisory locks), so two refreshes of one student
    cannot both publish the same change, and cannot deadlock.
    """
    ids = sorted(set(student_ids))
    queued = 0
    for start in range(0, len(ids), _CHUNK):
        queued += await _refresh(conn, district, ids[start : start + _CHUNK], source)
    return queued


async def _refresh(conn: asyncpg.Connection, district: str, ids: list[str], source: str) -> int:
    await conn.execute(
        """SELECT pg_advisory_xact_lock(hashtextextended('profile-teachers|' || $1 || '|' || s, 0))
             FROM unnest($2::text[]) AS s ORDER BY s""",
        district,
        ids,
    )
    sets: dict[str, dict[str, tuple[str | None, str | None]]] = {}
    erased: set[str] = set()
    for row in await conn.fetch(_CURRENT, district, ids):
        student = row["student_id"]
        if row["status"] == "erased":
            erased.add(student)
        teachers = sets.setdefault(student, {})
        if row["teacher_id"] is not None:
            teachers[row["teacher_id"]] = (row["email"], row["email_digest"])
    if erased:  # nothing more is said about an erased student
        await conn.execute(
            "DELETE FROM student_teachers WHERE district_id = $1 AND student_id = ANY($2::text[])",
            district,
            sorted(erased),
        )
    published = {
        r["student_id"]: (r["fingerprint"], r["seq"])
        for r in await conn.fetch(
            "SELECT student_id, fingerprint, seq FROM student_teachers "
            "WHERE district_id = $1 AND student_id = ANY($2::text[])",
            district,
            ids,
        )
    }
    now = datetime.now(UTC)
    envelopes: list[Envelope] = []
    for student in sorted(set(sets) - erased):
        teachers = sets[student]
        fingerprint = _fingerprint((t, d) for t, (_, d) in teachers.items())
        before, seq = published.get(student, (EMPTY, 0))
        if fingerprint == before:
            continue
        seq += 1
        await conn.execute(
            """INSERT INTO student_teachers (student_id, district_id, fingerprint, seq)
               VALUES ($1, $2, $3, $4)
               ON CONFLICT (district_id, student_id) DO UPDATE
                  SET fingerprint = excluded.fingerprint, seq = excluded.seq""",
            student,
            district,
            fingerprint,
            seq,
        )
        event = TeachersAssigned(
            student_id=student,
            teachers=[
                AssignedTeacher(
                    teacher_id=t,
                    email=_sealed(e),
                )
                for t, (e, _) in sorted(teachers.items())
            ],
        )
        envelopes.append(
            Envelope.wrap(
                event,
                id=derive_event_id("profile", "teachers", district, student, str(seq)),
                source=source,
                district_id=district,
                time=now,
            )
        )
    await outbox.add_events(conn, envelopes)
    return len(envelopes)
