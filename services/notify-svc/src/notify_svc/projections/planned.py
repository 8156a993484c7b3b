"""When each recipient is told: the planned notifications that facts and recipients imply.

A row exists for every (fact, reachable guardian, channel) and every (fact,
teacher with an address) inside the fact's news window (``rules.json``),
planned at the later of the fact and the moment the recipient became
reachable, whatever order the two topics were interleaved in. A notification
id (derived from fact, recipient and channel) names one message forever, so
replay rebuilds the table identically.
"""

from __future__ import annotations

import asyncpg

from notify_svc.domain.audience import CHANNEL
from notify_svc.domain.rules import GUARDIANS, TEACHERS, Rules
from pathwise_contracts import derive_event_id

PLANNED_CHANNEL = "notify_planned"


def notification_id(cause_event_id: object, guardian_id: str, channel: str = CHANNEL) -> str:
    """The id of the one notification about ``cause`` to ``guardian`` on ``channel``."""
    return str(derive_event_id(str(cause_event_id), guardian_id, channel))


def teacher_notification_id(cause_event_id: object, teacher_id: str) -> str:
    """The id of the one email about ``cause`` to one of the student's teachers.

    A namespace of its own ("teacher"), so it can never be a guardian's id.
    """
    return str(derive_event_id(str(cause_event_id), "teacher", teacher_id, CHANNEL))


async def replan_guardians(
    conn: asyncpg.Connection,
    rules: Rules,
    touched: set[tuple[str, str, str]],
    new_causes: list[str],
) -> None:
    """Bring the notifications of changed (district, student, guardian) links and new
    facts to what they imply; a fact only ever reaches its own district's guardians."""
    if not touched and not new_causes:
        return
    links = sorted(touched)
    districts = [d for d, _, _ in links]
    students, guardians = [s for _, s, _ in links], [g for _, _, g in links]
    kinds = rules.kinds_for(GUARDIANS)
    windows = [rules[k].news_window for k in kinds]
    await conn.execute(
        f"""DELETE FROM notifications n
             USING unnest($5::text[], $1::text[], $2::text[])
                   AS t(district_id, student_id, guardian_id)
             WHERE n.district_id = t.district_id AND n.student_id = t.student_id
               AND n.guardian_id = t.guardian_id AND n.audience = 'guardians'
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
        districts,
    )
    desired = await conn.fetch(
        # Two index-driven halves, not one OR: an OR across the two tables is a
        # scan of every cause per batch, which made replay quadratic in the log.
        f"""SELECT * FROM ({_DESIRED}) d
             WHERE (d.district_id, d.student_id, d.guardian_id) IN
                       (SELECT * FROM unnest($6::text[], $1::text[], $2::text[]))
           UNION
           SELECT * FROM ({_DESIRED}) d WHERE d.cause_event_id = ANY($5::uuid[])""",
        students,
        guardians,
        kinds,
        windows,
        new_causes,
        districts,
    )
    if not desired:
        return
    inserted = await conn.fetch(
        """INSERT INTO notifications (notification_id, cause_event_id, student_id,
                                      guardian_id, channel, planned_at, district_id)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],
                                $6::timestamptz[], $7::text[])
           ON CONFLICT DO NOTHING RETURNING notification_id""",
        [notification_id(r["cause_event_id"], r["guardian_id"], r["channel"]) for r in desired],
        [r["cause_event_id"] for r in desired],
        [r["student_id"] for r in desired],
        [r["guardian_id"] for r in desired],
        [r["channel"] for r in desired],
        [r["planned_at"] for r in desired],
        [r["district_id"] for r in desired],
    )
    if inserted:
        await conn.execute(f"NOTIFY {PLANNED_CHANNEL}")


async def replan_teachers(
    conn: asyncpg.Connection, rules: Rules, taught: set[tuple[str, str]], new_causes: list[str]
) -> None:
    """The same for teachers of (district, student): one email per (fact, reachable
    teacher of the fact's district) in the news window."""
    kinds = rules.kinds_for(TEACHERS)
    if not kinds or (not taught and not new_causes):
        return
    pairs = sorted(taught)
    districts, students = [d for d, _ in pairs], [s for _, s in pairs]
    windows = [rules[k].news_window for k in kinds]
    await conn.execute(
        f"""DELETE FROM notifications n
             USING unnest($4::text[], $3::text[]) AS t(district_id, student_id)
             WHERE n.audience = 'teachers'
               AND n.district_id = t.district_id AND n.student_id = t.student_id
               AND NOT EXISTS (
                   SELECT 1 FROM ({_TEACHERS_DESIRED}) d
                    WHERE d.cause_event_id = n.cause_event_id
                      AND d.teacher_id = n.guardian_id
                      AND d.planned_at = n.planned_at)""",
        kinds,
        windows,
        students,
        districts,
    )
    desired = await conn.fetch(
        f"""SELECT * FROM ({_TEACHERS_DESIRED}) d
             WHERE (d.district_id, d.student_id) IN
                       (SELECT * FROM unnest($5::text[], $3::text[]))
           UNION
           SELECT * FROM ({_TEACHERS_DESIRED}) d WHERE d.cause_event_id = ANY($4::uuid[])""",
        kinds,
        windows,
        students,
        new_causes,
        districts,
    )
    if not desired:
        return
    inserted = await conn.fetch(
        """INSERT INTO notifications (notification_id, cause_event_id, student_id,
                                      guardian_id, channel, planned_at, district_id, audience)
           SELECT *, 'teachers' FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[],
                                            $5::text[], $6::timestamptz[], $7::text[])
           ON CONFLICT DO NOTHING RETURNING notification_id""",
        [teacher_notification_id(r["cause_event_id"], r["teacher_id"]) for r in desired],
        [r["cause_event_id"] for r in desired],
        [r["student_id"] for r in desired],
        [r["teacher_id"] for r in desired],
        [str(CHANNEL)] * len(desired),
        [r["planned_at"] for r in desired],
        [r["district_id"] for r in desired],
    )
    if inserted:
        await conn.execute(f"NOTIFY {PLANNED_CHANNEL}")


# Every (cause, guardian of the cause's district, channel) where the guardian is
# reachable on the channel, inside the cause kind's news window.
_DESIRED = """
    SELECT c.cause_event_id, c.district_id, c.student_id, g.guardian_id, e.channel,
           greatest(c.occurred_at, e.since) AS planned_at
      FROM causes c
      JOIN unnest($3::text[], $4::interval[]) AS r(kind, news_window) ON r.kind = c.kind
      JOIN guardians g ON g.district_id = c.district_id AND g.student_id = c.student_id
     CROSS JOIN LATERAL (VALUES ('email', g.eligible_since),
                                ('sms', g.sms_eligible_since)) AS e(channel, since)
     WHERE e.since IS NOT NULL
       AND c.occurred_at >= e.since - r.news_window
"""


# Every (cause, teacher) where the teacher has an address, inside the news window.
_TEACHERS_DESIRED = """
    SELECT c.cause_event_id, c.district_id, c.student_id, t.teacher_id,
           greatest(c.occurred_at, t.reachable_since) AS planned_at
      FROM causes c
      JOIN unnest($1::text[], $2::interval[]) AS r(kind, news_window) ON r.kind = c.kind
      JOIN teachers t ON t.district_id = c.district_id AND t.student_id = c.student_id
     WHERE t.reachable_since IS NOT NULL
       AND c.occurred_at >= t.reachable_since - r.news_window
"""
