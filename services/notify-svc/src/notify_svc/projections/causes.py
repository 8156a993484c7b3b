"""What is worth telling: the facts ("causes") the rules plan notifications about.

A mastered competency, a support alert, a replan that moves a competency to
a significant modality (compared with the student's previous path, which the
path topic orders per student), and one weekly summary per student and ISO
week with learning activity, due at the end of that week (event time, never
the wall clock).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from notify_svc.domain.rules import Rules
from pathwise_contracts import (
    CompetencyMastered,
    Envelope,
    Event,
    MasteryUpdated,
    PathReplanned,
    SupportNeeded,
    derive_event_id,
)

Cause = tuple[str, str, str, str, str | None, str | None, datetime, str]


def week_of(moment: datetime) -> tuple[str, datetime]:
    """The ISO week of an event time (UTC) and the moment that week ends."""
    utc = moment.astimezone(UTC)
    year, week, weekday = utc.isocalendar()
    start = datetime(utc.year, utc.month, utc.day, tzinfo=UTC) - timedelta(days=weekday - 1)
    return f"{year}-W{week:02d}", start + timedelta(days=7)


def summary_cause_id(district_id: str, student_id: str, week: str) -> str:
    """The one weekly summary of a district's student: two districts never share one."""
    return str(derive_event_id("notify-svc", "weekly_summary", district_id, student_id, week))


def legacy_summary_cause_id(student_id: str, week: str) -> str:
    """A summary's id before ids carried the district; one given it keeps it."""
    return str(derive_event_id("notify-svc", "weekly_summary", student_id, week))


async def _summary_id(conn: asyncpg.Connection, district: str, student: str, week: str) -> str:
    """The summary's id: the district-less one if this district's fact or delivery already
    has it (so a replay, or the week in progress, never plans that summary twice)."""
    legacy = legacy_summary_cause_id(student, week)
    known = await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM causes
                            WHERE cause_event_id = $1 AND district_id = $2)
               OR EXISTS (SELECT 1 FROM deliveries
                           WHERE district_id = $2 AND cause_event_id = $1)""",
        uuid.UUID(legacy),
        district,
    )
    return legacy if known else summary_cause_id(district, student, week)


def cause(
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


async def cause_of(
    conn: asyncpg.Connection, rules: Rules, event: Event, envelope: Envelope
) -> Cause | None:
    """The fact ``event`` is, if the rules plan notifications about it."""
    if isinstance(event, CompetencyMastered):
        return cause(
            envelope, "competency_mastered", event.competency_id, evidence=str(event.evidence_id)
        )
    if isinstance(event, SupportNeeded):
        detail = {"reason": event.reason, "episode": event.episode}
        return cause(envelope, "support_needed", event.competency_id, detail)
    if isinstance(event, PathReplanned):
        moved = await _replanned(conn, rules, event, envelope.districtid)
        return cause(envelope, "path_changed", None, {"codes": moved}) if moved else None
    if isinstance(event, MasteryUpdated):
        week, ends = week_of(envelope.time)
        return (
            await _summary_id(conn, envelope.districtid, event.student_id, week),
            event.student_id,
            envelope.districtid,
            "weekly_summary",
            None,
            None,
            ends,
            json.dumps({"week": week}),
        )
    return None


async def _replanned(
    conn: asyncpg.Connection, rules: Rules, event: PathReplanned, district: str
) -> list[str]:
    """Competencies this replan moves to a significant modality (tutoring) that were not,
    compared with the same district's previous path of the student."""
    significant = set(rules["path_changed"].significant_modalities)
    now = sorted({s.competency_id for s in event.steps if str(s.modality) in significant})
    before = await conn.fetchrow(
        "SELECT version, tutoring FROM paths WHERE district_id = $1 AND student_id = $2",
        district,
        event.student_id,
    )
    if before is not None and before["version"] >= event.version:
        return []  # an older replan redelivered: the path topic orders a student's replans
    await conn.execute(
        """INSERT INTO paths (student_id, version, tutoring, district_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT (district_id, student_id) DO UPDATE
              SET version = excluded.version, tutoring = excluded.tutoring""",
        event.student_id,
        event.version,
        now,
        district,
    )
    previous = set(before["tutoring"]) if before is not None else set()
    return [code for code in now if code not in previous]


async def insert_causes(conn: asyncpg.Connection, causes: list[Cause]) -> list[str]:
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
