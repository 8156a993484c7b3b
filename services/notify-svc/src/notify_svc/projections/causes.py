"""What is worth telling: the facts ("causes") the rules plan notifications about.

A mastered competency, a support alert, a replan that moves a competency to
a significant modality (compared with the student's previous path, which the
path topic orders per student), and one weekly summary per student and ISO
week with learning activity, due at the end of that week (event time, never
the wall clock).
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

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
    return _week_of_day(moment.astimezone(UTC).date())


@functools.lru_cache(maxsize=4096)
def _week_of_day(day: date) -> tuple[str, datetime]:
    """Per day, not per event: a replay asks for the same few weeks a million times."""
    year, week, weekday = day.isocalendar()
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=weekday - 1)
    return f"{year}-W{week:02d}", start + timedelta(days=7)


def summary_cause_id(district_id: str, student_id: str, week: str) -> str:
    """The one weekly summary of a district's student: two districts never share one."""
    return str(derive_event_id("notify-svc", "weekly_summary", district_id, student_id, week))


def legacy_summary_cause_id(student_id: str, week: str) -> str:
    """A summary's id before ids carried the district; one given it keeps it."""
    return str(derive_event_id("notify-svc", "weekly_summary", student_id, week))


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


class Facts:
    """What the facts of one batch are, with what telling them apart reads fetched up front.

    A weekly summary's id (legacy or not) and a replan's previous path each were
    a round trip per event; here both are read once per batch, replans are
    compared in log order in memory, and the paths they moved are written once
    (``flush``). An erasure in the batch ``forget``s what it deleted.
    """

    def __init__(self, conn: asyncpg.Connection, rules: Rules) -> None:
        self._conn = conn
        self._significant = set(rules["path_changed"].significant_modalities)
        # (district, student) -> week -> whether the district-less summary id is known.
        self._known: dict[tuple[str, str], dict[str, bool]] = {}
        self._summaries: dict[tuple[str, str], dict[str, Cause]] = {}
        # (district, student) -> (version, tutoring) of the path, None when there is none.
        self._paths: dict[tuple[str, str], tuple[int, list[str]] | None] = {}
        self._moved: set[tuple[str, str]] = set()

    async def load(self, items: Iterable[tuple[Event, Envelope]]) -> None:
        """Read the legacy summary ids and the paths the batch's facts will look at."""
        summaries: set[tuple[str, str, str]] = set()
        students: set[tuple[str, str]] = set()
        for event, envelope in items:
            if isinstance(event, MasteryUpdated):
                summaries.add((envelope.districtid, event.student_id, week_of(envelope.time)[0]))
            elif isinstance(event, PathReplanned):
                students.add((envelope.districtid, event.student_id))
        weeks: dict[str, list[tuple[str, str, str]]] = {}  # legacy id -> keys
        for key in summaries:
            weeks.setdefault(legacy_summary_cause_id(key[1], key[2]), []).append(key)
        if weeks:
            await self._load_known(weeks)
        if students:
            await self._load_paths(sorted(students))

    async def _load_known(self, weeks: dict[str, list[tuple[str, str, str]]]) -> None:
        keys = sorted({(d, legacy) for legacy, wanted in weeks.items() for d, _, _ in wanted})
        rows = await self._conn.fetch(
            """SELECT k.district_id, k.cause_event_id
                 FROM unnest($1::text[], $2::uuid[]) AS k(district_id, cause_event_id)
                WHERE EXISTS (SELECT 1 FROM causes c
                               WHERE c.cause_event_id = k.cause_event_id
                                 AND c.district_id = k.district_id)
                   OR EXISTS (SELECT 1 FROM deliveries d
                               WHERE d.district_id = k.district_id
                                 AND d.cause_event_id = k.cause_event_id)""",
            [d for d, _ in keys],
            [uuid.UUID(legacy) for _, legacy in keys],
        )
        found = {(r["district_id"], str(r["cause_event_id"])) for r in rows}
        for legacy, wanted in weeks.items():
            for district, student, week in wanted:
                known = (district, legacy) in found
                self._known.setdefault((district, student), {})[week] = known

    async def _load_paths(self, students: list[tuple[str, str]]) -> None:
        rows = await self._conn.fetch(
            """SELECT p.district_id, p.student_id, p.version, p.tutoring FROM paths p
                 JOIN unnest($1::text[], $2::text[]) AS k(district_id, student_id)
                USING (district_id, student_id)""",
            [d for d, _ in students],
            [s for _, s in students],
        )
        self._paths.update(dict.fromkeys(students))
        for r in rows:
            self._paths[(r["district_id"], r["student_id"])] = (r["version"], list(r["tutoring"]))

    def forget(self, district: str, student: str, *, student_erased: bool) -> None:
        """An erasure deleted deliveries (a guardian's) or every row (a student's) of the
        student: what was read about them is read again, their path is gone."""
        self._known.pop((district, student), None)
        self._summaries.pop((district, student), None)
        if student_erased:
            self._paths[(district, student)] = None
            self._moved.discard((district, student))

    async def cause_of(self, event: Event, envelope: Envelope) -> Cause | None:
        """The fact ``event`` is, if the rules plan notifications about it."""
        if isinstance(event, CompetencyMastered):
            evidence = str(event.evidence_id)
            return cause(envelope, "competency_mastered", event.competency_id, evidence=evidence)
        if isinstance(event, SupportNeeded):
            detail = {"reason": event.reason, "episode": event.episode}
            return cause(envelope, "support_needed", event.competency_id, detail)
        if isinstance(event, PathReplanned):
            moved = await self._replanned(event, envelope.districtid)
            return cause(envelope, "path_changed", None, {"codes": moved}) if moved else None
        if isinstance(event, MasteryUpdated):
            return await self._summary(envelope.districtid, event.student_id, envelope.time)
        return None

    async def _summary(self, district: str, student: str, time: datetime) -> Cause:
        """The student's weekly summary for the week of ``time``: one per batch and week."""
        week, ends = week_of(time)
        made = self._summaries.setdefault((district, student), {})
        if week not in made:
            made[week] = (
                await self._summary_id(district, student, week),
                student,
                district,
                "weekly_summary",
                None,
                None,
                ends,
                json.dumps({"week": week}),
            )
        return made[week]

    async def _summary_id(self, district: str, student: str, week: str) -> str:
        """The summary's id: the district-less one if this district's fact or delivery
        already has it (so a replay, or the week in progress, never plans it twice)."""
        known = self._known.get((district, student), {}).get(week)
        if known is None:
            known = await self._conn.fetchval(
                """SELECT EXISTS (SELECT 1 FROM causes
                                    WHERE cause_event_id = $1 AND district_id = $2)
                       OR EXISTS (SELECT 1 FROM deliveries
                                   WHERE district_id = $2 AND cause_event_id = $1)""",
                uuid.UUID(legacy_summary_cause_id(student, week)),
                district,
            )
            self._known.setdefault((district, student), {})[week] = bool(known)
        if known:
            return legacy_summary_cause_id(student, week)
        return summary_cause_id(district, student, week)

    async def _replanned(self, event: PathReplanned, district: str) -> list[str]:
        """Competencies this replan moves to a significant modality (tutoring) that were
        not, compared with the same district's previous path of the student."""
        key = (district, event.student_id)
        now = sorted({s.competency_id for s in event.steps if str(s.modality) in self._significant})
        if key not in self._paths:
            await self._load_paths([key])
        before = self._paths[key]
        if before is not None and before[0] >= event.version:
            return []  # an older replan redelivered: the path topic orders a student's replans
        self._paths[key] = (event.version, now)
        self._moved.add(key)
        previous = set(before[1]) if before is not None else set()
        return [code for code in now if code not in previous]

    async def flush(self) -> None:
        """Write the paths the batch's replans moved, each at its last version."""
        rows = []
        for district, student in sorted(self._moved):
            path = self._paths[(district, student)]
            if path is not None:  # never: an erasure forgets what it moved
                rows.append((student, path[0], path[1], district))
        self._moved.clear()
        if rows:
            await self._conn.executemany(
                """INSERT INTO paths (student_id, version, tutoring, district_id)
                   VALUES ($1, $2, $3, $4)
                   ON CONFLICT (district_id, student_id) DO UPDATE
                      SET version = excluded.version, tutoring = excluded.tutoring""",
                rows,
            )


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
