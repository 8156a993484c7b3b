"""The ``planning`` projection: whom to tell about what, from the profile and path topics.

It reads both topics so that the planned notifications are a function of the
current guardians and the facts alone: a row exists for every (fact,
reachable guardian, channel) inside the fact's news window (``rules.json``),
whatever order the two topics were interleaved in. The student's teachers
(``TeachersAssigned``, the full set each time) are a second audience for the
triggers whose rule names them: one email per (fact, teacher with an address),
id derived from (fact, "teacher", teacher), under the same news window. That is what lets replay
rebuild the table identically, and what makes a notification id (derived from
fact, guardian and channel) name one message forever.

Facts ("causes") come from the rules: a mastered competency, a replan that
moves a competency to one-on-one tutoring (compared with the student's
previous path, which the path topic orders per student), a support alert, and
one weekly summary per student and ISO week with learning activity, planned
for the end of that week (event time, never the wall clock). A student's
erasure leaves a tombstone so facts that arrive after it on the other topic are
not planned again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import asyncpg

from notify_svc.domain.audience import CHANNEL, reachable_by_email, reachable_by_sms
from notify_svc.domain.rules import GUARDIANS, TEACHERS
from notify_svc.domain.rules import load as load_rules
from pathwise_contracts import (
    PATH_EVENTS,
    PROFILE_EVENTS,
    Channel,
    CompetencyMastered,
    ConsentChanged,
    ContactPreferencesChanged,
    EncryptedValue,
    Envelope,
    GuardianLinked,
    MasteryUpdated,
    PathReplanned,
    StudentEnrolled,
    SubjectErased,
    SupportNeeded,
    TeachersAssigned,
    derive_event_id,
)
from pathwise_runtime.projection import Delivered

PLANNED_CHANNEL = "notify_planned"


def notification_id(cause_event_id: object, guardian_id: str, channel: str = CHANNEL) -> str:
    """The id of the one notification about ``cause`` to ``guardian`` on ``channel``."""
    return str(derive_event_id(str(cause_event_id), guardian_id, channel))


def teacher_notification_id(cause_event_id: object, teacher_id: str) -> str:
    """The id of the one email about ``cause`` to one of the student's teachers.

    A namespace of its own ("teacher"), so it can never be a guardian's id.
    """
    return str(derive_event_id(str(cause_event_id), "teacher", teacher_id, CHANNEL))


def student_lock_key(student_id: str) -> int:
    """A signed 64-bit advisory-lock key per student."""
    digest = hashlib.sha256(b"notify-svc|student|" + student_id.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def week_of(moment: datetime) -> tuple[str, datetime]:
    """The ISO week of an event time (UTC) and the moment that week ends."""
    utc = moment.astimezone(UTC)
    year, week, weekday = utc.isocalendar()
    start = datetime(utc.year, utc.month, utc.day, tzinfo=UTC) - timedelta(days=weekday - 1)
    return f"{year}-W{week:02d}", start + timedelta(days=7)


def summary_cause_id(student_id: str, week: str) -> str:
    return str(derive_event_id("notify-svc", "weekly_summary", student_id, week))


def _sealed(value: EncryptedValue | None) -> str | None:
    return value.model_dump_json() if value is not None else None


def _consent(consent: Mapping[Channel, bool]) -> str:
    return json.dumps({str(k): v for k, v in consent.items()})


Cause = tuple[str, str, str, str, str | None, str | None, datetime, str]


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
        await _lock_students(conn, {d.envelope.subject for d in batch})
        erased = {
            r["student_id"]
            for r in await conn.fetch(
                "SELECT student_id FROM erased_students WHERE student_id = ANY($1::text[])",
                sorted({d.envelope.subject for d in batch}),
            )
        }
        touched: set[tuple[str, str]] = set()
        taught: set[str] = set()
        causes: list[Cause] = []
        for item in batch:
            event, envelope = item.event, item.envelope
            if isinstance(event, SubjectErased):
                await _erase(conn, event, touched)
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
            elif isinstance(event, GuardianLinked):
                await _link(conn, event, envelope)
                touched.add((event.student_id, event.guardian_id))
            elif isinstance(event, ContactPreferencesChanged):
                await _change_preferences(conn, event, envelope)
                touched.add((event.student_id, event.guardian_id))
            elif isinstance(event, ConsentChanged):
                await _change_consent(conn, event, envelope)
                touched.add((event.student_id, event.guardian_id))
            elif isinstance(event, TeachersAssigned):
                await _assign_teachers(conn, event, envelope)
                taught.add(event.student_id)
            elif isinstance(event, CompetencyMastered):
                causes.append(
                    self._cause(
                        envelope,
                        "competency_mastered",
                        event.competency_id,
                        evidence=str(event.evidence_id),
                    )
                )
            elif isinstance(event, SupportNeeded):
                detail = {"reason": event.reason, "episode": event.episode}
                causes.append(self._cause(envelope, "support_needed", event.competency_id, detail))
            elif isinstance(event, PathReplanned):
                moved = await self._replanned(conn, event)
                if moved:
                    causes.append(self._cause(envelope, "path_changed", None, {"codes": moved}))
            elif isinstance(event, MasteryUpdated):
                week, ends = week_of(envelope.time)
                causes.append(
                    (
                        summary_cause_id(event.student_id, week),
                        event.student_id,
                        envelope.districtid,
                        "weekly_summary",
                        None,
                        None,
                        ends,
                        json.dumps({"week": week}),
                    )
                )
        # A fact collected earlier in this batch than its student's erasure goes too.
        new_causes = await _insert_causes(conn, [c for c in causes if c[1] not in erased])
        taught -= erased
        await self._replan(conn, touched, new_causes)
        await self._replan_teachers(conn, taught, new_causes)
        return []

    @staticmethod
    def _cause(
        envelope: Envelope,
        kind: str,
        competency: str | None,
        detail: object = None,
        *,
        evidence: str | None = None,
    ) -> Cause:
        return (
            str(envelope.id),
            envelope.subject,
            envelope.districtid,
            kind,
            competency,
            evidence,
            envelope.time,
            json.dumps(detail or {}, sort_keys=True),
        )

    async def _replanned(self, conn: asyncpg.Connection, event: PathReplanned) -> list[str]:
        """Competencies this replan moves to a significant modality (tutoring) that were not."""
        significant = set(self._rules["path_changed"].significant_modalities)
        now = sorted({s.competency_id for s in event.steps if str(s.modality) in significant})
        before = await conn.fetchrow(
            "SELECT version, tutoring FROM paths WHERE student_id = $1", event.student_id
        )
        if before is not None and before["version"] >= event.version:
            return []  # an older replan redelivered: the path topic orders a student's replans
        await conn.execute(
            """INSERT INTO paths (student_id, version, tutoring) VALUES ($1, $2, $3)
               ON CONFLICT (student_id) DO UPDATE
                  SET version = excluded.version, tutoring = excluded.tutoring""",
            event.student_id,
            event.version,
            now,
        )
        previous = set(before["tutoring"]) if before is not None else set()
        return [code for code in now if code not in previous]

    async def _replan(
        self, conn: asyncpg.Connection, touched: set[tuple[str, str]], new_causes: list[str]
    ) -> None:
        """Bring the notifications of changed guardians and new facts to what they imply."""
        if not touched and not new_causes:
            return
        pairs = sorted(touched)
        students, guardians = [s for s, _ in pairs], [g for _, g in pairs]
        kinds = self._rules.kinds_for(GUARDIANS)
        windows = [self._rules[k].news_window for k in kinds]
        await conn.execute(
            f"""DELETE FROM notifications n
                 USING unnest($1::text[], $2::text[]) AS t(student_id, guardian_id)
                 WHERE n.student_id = t.student_id AND n.guardian_id = t.guardian_id
                   AND n.audience = 'guardians'
                   AND NOT EXISTS (
                       SELECT 1 FROM ({_DESIRED}) d
                        WHERE d.cause_event_id = n.cause_event_id
                          AND d.guardian_id = n.guardian_id
                          AND d.channel = n.channel
                          AND d.planned_at = n.planned_at)""",
            students,
            guardians,
            kinds,
            windows,
        )
        desired = await conn.fetch(
            f"""SELECT * FROM ({_DESIRED}) d
                 WHERE (d.student_id, d.guardian_id) IN
                           (SELECT * FROM unnest($1::text[], $2::text[]))
                    OR d.cause_event_id = ANY($5::uuid[])""",
            students,
            guardians,
            kinds,
            windows,
            new_causes,
        )
        if not desired:
            return
        inserted = await conn.fetch(
            """INSERT INTO notifications (notification_id, cause_event_id, student_id,
                                          guardian_id, channel, planned_at)
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],
                                    $6::timestamptz[])
               ON CONFLICT DO NOTHING RETURNING notification_id""",
            [notification_id(r["cause_event_id"], r["guardian_id"], r["channel"]) for r in desired],
            [r["cause_event_id"] for r in desired],
            [r["student_id"] for r in desired],
            [r["guardian_id"] for r in desired],
            [r["channel"] for r in desired],
            [r["planned_at"] for r in desired],
        )
        if inserted:
            await conn.execute(f"NOTIFY {PLANNED_CHANNEL}")

    async def _replan_teachers(
        self, conn: asyncpg.Connection, taught: set[str], new_causes: list[str]
    ) -> None:
        """The same for teachers: one email per (fact, reachable teacher) in the news window."""
        kinds = self._rules.kinds_for(TEACHERS)
        if not kinds or (not taught and not new_causes):
            return
        students = sorted(taught)
        windows = [self._rules[k].news_window for k in kinds]
        await conn.execute(
            f"""DELETE FROM notifications n
                 WHERE n.audience = 'teachers' AND n.student_id = ANY($3::text[])
                   AND NOT EXISTS (
                       SELECT 1 FROM ({_TEACHERS_DESIRED}) d
                        WHERE d.cause_event_id = n.cause_event_id
                          AND d.teacher_id = n.guardian_id
                          AND d.planned_at = n.planned_at)""",
            kinds,
            windows,
            students,
        )
        desired = await conn.fetch(
            f"""SELECT * FROM ({_TEACHERS_DESIRED}) d
                 WHERE d.student_id = ANY($3::text[]) OR d.cause_event_id = ANY($4::uuid[])""",
            kinds,
            windows,
            students,
            new_causes,
        )
        if not desired:
            return
        inserted = await conn.fetch(
            """INSERT INTO notifications (notification_id, cause_event_id, student_id,
                                          guardian_id, channel, planned_at, audience)
               SELECT *, 'teachers' FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[],
                                                $5::text[], $6::timestamptz[])
               ON CONFLICT DO NOTHING RETURNING notification_id""",
            [teacher_notification_id(r["cause_event_id"], r["teacher_id"]) for r in desired],
            [r["cause_event_id"] for r in desired],
            [r["student_id"] for r in desired],
            [r["teacher_id"] for r in desired],
            [str(CHANNEL)] * len(desired),
            [r["planned_at"] for r in desired],
        )
        if inserted:
            await conn.execute(f"NOTIFY {PLANNED_CHANNEL}")


# Every (cause, guardian, channel) where the guardian is reachable on the channel,
# inside the cause kind's news window.
_DESIRED = """
    SELECT c.cause_event_id, c.student_id, g.guardian_id, e.channel,
           greatest(c.occurred_at, e.since) AS planned_at
      FROM causes c
      JOIN unnest($3::text[], $4::interval[]) AS r(kind, news_window) ON r.kind = c.kind
      JOIN guardians g ON g.student_id = c.student_id
     CROSS JOIN LATERAL (VALUES ('email', g.eligible_since),
                                ('sms', g.sms_eligible_since)) AS e(channel, since)
     WHERE e.since IS NOT NULL
       AND c.occurred_at >= e.since - r.news_window
"""


# Every (cause, teacher) where the teacher has an address, inside the news window.
_TEACHERS_DESIRED = """
    SELECT c.cause_event_id, c.student_id, t.teacher_id,
           greatest(c.occurred_at, t.reachable_since) AS planned_at
      FROM causes c
      JOIN unnest($1::text[], $2::interval[]) AS r(kind, news_window) ON r.kind = c.kind
      JOIN teachers t ON t.student_id = c.student_id
     WHERE t.reachable_since IS NOT NULL
       AND c.occurred_at >= t.reachable_since - r.news_window
"""


async def _insert_causes(conn: asyncpg.Connection, causes: list[Cause]) -> list[str]:
    if not causes:
        return []
    unique = {c[0]: c for c in causes}  # one summary per (student, week) in a batch
    rows = list(unique.values())
    inserted = await conn.fetch(
        """INSERT INTO causes (cause_event_id, student_id, district_id, kind, competency_id,
                               evidence_id, occurred_at, detail)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                                $6::uuid[], $7::timestamptz[], $8::jsonb[])
           ON CONFLICT (cause_event_id) DO NOTHING RETURNING cause_event_id""",
        *[list(column) for column in zip(*rows, strict=True)],
    )
    return [str(r["cause_event_id"]) for r in inserted]


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


async def _erase(
    conn: asyncpg.Connection, event: SubjectErased, touched: set[tuple[str, str]]
) -> None:
    """Drop every row about the erased person (a student: all of it; a guardian: their link)."""
    student = event.student_id
    if event.kind == "student":
        await conn.execute(
            "INSERT INTO erased_students (student_id) VALUES ($1) ON CONFLICT DO NOTHING",
            student,
        )
        for table in ("notifications", "causes", "guardians", "teachers", "paths", "students"):
            await conn.execute(f"DELETE FROM {table} WHERE student_id = $1", student)
        touched.difference_update({t for t in touched if t[0] == student})
        return
    await conn.execute(
        """DELETE FROM notifications
            WHERE student_id = $1 AND guardian_id = $2 AND audience = 'guardians'""",
        student,
        event.subject_id,
    )
    await conn.execute(
        "DELETE FROM guardians WHERE student_id = $1 AND guardian_id = $2",
        student,
        event.subject_id,
    )
    touched.discard((student, event.subject_id))


async def _assign_teachers(
    conn: asyncpg.Connection, event: TeachersAssigned, envelope: Envelope
) -> None:
    """Replace the student's teachers with the full set on the log.

    A teacher who stays keeps the time since which they could be told; one who
    left is dropped (their unsent alerts with them, in ``_replan_teachers``).
    """
    ids = sorted({t.teacher_id for t in event.teachers})
    await conn.execute(
        "DELETE FROM teachers WHERE student_id = $1 AND NOT (teacher_id = ANY($2::text[]))",
        event.student_id,
        ids,
    )
    by_id = {t.teacher_id: t for t in event.teachers}
    await conn.executemany(
        """INSERT INTO teachers AS t (student_id, teacher_id, email, assigned_at,
                                      reachable_since)
           VALUES ($1, $2, $3::jsonb, $4::timestamptz,
                   CASE WHEN $5::boolean THEN $4::timestamptz END)
           ON CONFLICT (student_id, teacher_id) DO UPDATE
              SET email = excluded.email,
                  reachable_since = CASE WHEN $5::boolean
                                         THEN coalesce(t.reachable_since,
                                                       $4::timestamptz) END""",
        [
            (
                event.student_id,
                teacher,
                _sealed(by_id[teacher].email),
                envelope.time,
                by_id[teacher].email is not None,
            )
            for teacher in ids
        ],
    )


async def _link(conn: asyncpg.Connection, event: GuardianLinked, envelope: Envelope) -> None:
    reachable = reachable_by_email(event.educational_rights, event.consent, event.email is not None)
    texted = reachable_by_sms(event.educational_rights, event.consent, event.phone is not None)
    await conn.execute(
        """INSERT INTO guardians AS g (student_id, guardian_id, relationship, educational_rights,
                                       language, email, phone, consent, linked_at, eligible_since,
                                       sms_eligible_since)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9,
                   CASE WHEN $10::boolean THEN $9::timestamptz END,
                   CASE WHEN $11::boolean THEN $9::timestamptz END)
           ON CONFLICT (student_id, guardian_id) DO UPDATE
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
    )


async def _change_preferences(
    conn: asyncpg.Connection, event: ContactPreferencesChanged, envelope: Envelope
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
    await conn.execute(
        """UPDATE guardians
              SET language = $3, email = $4::jsonb, phone = $5::jsonb, consent = $6::jsonb,
                  eligible_since = CASE WHEN educational_rights AND $7::boolean
                                        THEN coalesce(eligible_since, $8::timestamptz) END,
                  sms_eligible_since = CASE WHEN educational_rights AND $12::boolean
                                            THEN coalesce(sms_eligible_since,
                                                          $8::timestamptz) END,
                  time_zone = $9, quiet_hours = $10::jsonb, frequency = $11::jsonb
            WHERE student_id = $1 AND guardian_id = $2""",
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
    )


async def _change_consent(
    conn: asyncpg.Connection, event: ConsentChanged, envelope: Envelope
) -> None:
    """One channel's consent; the full-state ContactPreferencesChanged that follows agrees."""
    await conn.execute(
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
            WHERE student_id = $1 AND guardian_id = $2""",
        event.student_id,
        event.guardian_id,
        str(event.channel),
        event.granted,
        envelope.time,
        str(CHANNEL),
        str(Channel.SMS),
    )
