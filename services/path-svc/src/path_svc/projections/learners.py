"""The ``learners`` projection: what planning needs from each learner's profile.

Reads ``profile.events.v1``: sections and grade (from enrolment), active goals
and their target dates, interests, accommodations' catalogue codes, modality
preferences, strengths and needs, and the confidence of the student's last
``RECENT_REFLECTIONS`` reflections (never their text, which stays sealed).
Each change is forwarded to ``path.events.v1`` as one
``LearnerProfileChanged`` with the full planning profile, so the planner
reads its every input from one ordered log (mixing two topics directly would
leave the order of a profile change and a result to chance, and replay could
not reproduce it). ``SubjectErased`` of a student removes the student from
every path-svc table and tombstones them (see ``erasure``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import asyncpg

from path_svc.projections import erasure
from path_svc.projections.erasure import Student
from pathwise_contracts import (
    PROFILE_EVENTS,
    AccommodationsChanged,
    Envelope,
    Event,
    GoalSet,
    InterestsChanged,
    LearnerProfileChanged,
    ModalityPreferencesChanged,
    ReflectionRecorded,
    StrengthsAndNeedsChanged,
    StudentEnrolled,
    SubjectErased,
)
from pathwise_runtime.projection import Delivered, derive

EMPTY: dict[str, Any] = {
    "sections": [],
    "goals": {},
    "interests": [],
    "requirements": [],
    "preferred": [],
    "avoided": [],
    "strengths": [],
    "needs": [],
    "reflections": [],
}
RECENT_REFLECTIONS = 5
"""Reflections whose confidence still counts; an older one has been overtaken by newer ones."""


class LearnerProjection:
    """Planning-relevant learner profiles from ``profile.events.v1``."""

    name: str = "learners"
    topics: tuple[str, ...] = (PROFILE_EVENTS.name,)
    tables: tuple[str, ...] = ("learners", "erased_students")

    def __init__(self, source: str) -> None:
        self.source = source

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Delivered]) -> list[Envelope]:
        items = [d for d in batch if _relevant(d.event)]
        if not items:
            return []
        students = sorted({erasure.of(d.envelope) for d in items})
        rows = await conn.fetch(
            "SELECT district_id, student_id, profile::text AS profile FROM learners"
            f" WHERE {erasure.AMONG}",
            *erasure.columns(students),
        )
        profiles: dict[Student, dict[str, Any]] = {
            (r["district_id"], r["student_id"]): json.loads(r["profile"]) for r in rows
        }
        # Not guard(): this transaction may erase, so it must not take SHARE first.
        gone = await erasure.erased(conn, students)
        changed: dict[Student, datetime] = {}
        emitted: list[Envelope] = []
        for d in items:
            event, student = d.event, erasure.of(d.envelope)
            if isinstance(event, SubjectErased):
                if event.kind == "student" and event.subject_id == student[1]:
                    await erasure.erase(conn, student, d.envelope.time)
                    gone.add(student)
                    profiles.pop(student, None)
                    changed.pop(student, None)
                continue
            if student in gone:
                continue
            profile = profiles.setdefault(student, json.loads(json.dumps(EMPTY)))
            _fold(profile, event)
            changed[student] = d.envelope.time
            emitted.append(self._forward(student[1], profile, d.envelope))
        if changed:
            await conn.execute(
                """INSERT INTO learners AS l (district_id, student_id, profile, updated_at)
                   SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[])
                   ON CONFLICT (district_id, student_id) DO UPDATE
                      SET profile = excluded.profile, updated_at = excluded.updated_at""",
                [d for d, _ in changed],
                [s for _, s in changed],
                [json.dumps(profiles[s], sort_keys=True) for s in changed],
                list(changed.values()),
            )
        return emitted

    def _forward(self, student: str, profile: dict[str, Any], cause: Envelope) -> Envelope:
        return derive(
            LearnerProfileChanged(
                student_id=student,
                goals=goal_competencies(profile["goals"]),
                interests=profile["interests"],
                requirements=profile["requirements"],
                preferred=profile["preferred"],
                avoided=profile["avoided"],
                section_ids=profile["sections"],
                grade=profile.get("grade"),
                cause_event_id=cause.id,
                goal_dates=goal_dates(profile["goals"]),
                strengths=profile.get("strengths", []),
                needs=profile.get("needs", []),
                **confidence(profile.get("reflections", [])),
            ),
            cause,
            source=self.source,
            parts=["profile"],
        )


def _relevant(event: Event) -> bool:
    return (
        isinstance(
            event,
            StudentEnrolled
            | GoalSet
            | InterestsChanged
            | ModalityPreferencesChanged
            | AccommodationsChanged
            | StrengthsAndNeedsChanged
            | ReflectionRecorded
            | SubjectErased,
        )
        or "section_ids" in type(event).model_fields
    )  # enrolment facts, whatever the event


def _fold(profile: dict[str, Any], event: Event) -> None:
    """Apply one profile event to the stored planning profile (full-state events replace)."""
    if isinstance(event, GoalSet):
        if event.status == "active":
            profile["goals"][event.goal_id] = {
                "competencies": list(event.competency_ids),
                "target_date": event.target_date.isoformat() if event.target_date else None,
            }
        else:
            profile["goals"].pop(event.goal_id, None)
    elif isinstance(event, InterestsChanged):
        profile["interests"] = sorted({t.lower() for t in event.interests})
    elif isinstance(event, ModalityPreferencesChanged):
        profile["preferred"] = [str(m) for m in event.preferred]
        profile["avoided"] = [str(m) for m in event.avoided]
    elif isinstance(event, AccommodationsChanged):
        profile["requirements"] = sorted(set(event.requirements))
    elif isinstance(event, StrengthsAndNeedsChanged):
        profile["strengths"] = list(dict.fromkeys(t.lower() for t in event.strengths))
        profile["needs"] = list(dict.fromkeys(t.lower() for t in event.needs))
    elif isinstance(event, ReflectionRecorded):
        kept = [r for r in profile.get("reflections", []) if r["id"] != event.reflection_id]
        kept.append(
            {
                "id": event.reflection_id,
                "competencies": list(event.competency_ids),
                "confidence": event.confidence,
            }
        )
        profile["reflections"] = kept[-RECENT_REFLECTIONS:]
    else:  # an enrolment fact: StudentEnrolled or a later change of sections
        profile["sections"] = sorted(set(getattr(event, "section_ids", [])))
        if "grade" in type(event).model_fields:  # full-state facts: None means not known now
            profile["grade"] = getattr(event, "grade", None)


def goal_competencies(goals: dict[str, Any]) -> list[str]:
    """Competencies of the active goals, the soonest target date first (undated last)."""
    ordered = sorted(
        goals.items(),
        key=lambda kv: (kv[1]["target_date"] is None, kv[1]["target_date"] or "", kv[0]),
    )
    return list(dict.fromkeys(code for _, goal in ordered for code in goal["competencies"]))


def goal_dates(goals: dict[str, Any]) -> dict[str, date]:
    """The earliest target date of each goal competency that has one."""
    out: dict[str, date] = {}
    for goal in goals.values():
        if goal["target_date"] is None:
            continue
        when = date.fromisoformat(goal["target_date"])
        for code in goal["competencies"]:
            out[code] = min(out.get(code, when), when)
    return dict(sorted(out.items()))


def confidence(reflections: list[dict[str, Any]]) -> dict[str, Any]:
    """The confidence the latest recent reflections give: in general and per competency."""
    general: int | None = None
    per: dict[str, int] = {}
    for r in reflections:  # oldest first, so a later one wins
        if r.get("confidence") is None:
            continue
        if r["competencies"]:
            for code in r["competencies"]:
                per[code] = r["confidence"]
        else:
            general = r["confidence"]
    return {"confidence": general, "competency_confidence": dict(sorted(per.items()))}
