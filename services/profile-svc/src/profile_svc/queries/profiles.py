"""Read side: a student's profile from the ``profiles`` projection, decrypted to answer.

Who asks decides what comes back: a guardian sees their own contact entry
only, a student none; anyone who may not see the student gets ``None`` (404).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel

from pathwise_contracts import EncryptedValue
from profile_svc.adapters.personal import PersonalData, Vault
from profile_svc.domain.access import StudentFacts, Viewer, sees
from profile_svc.projections.mastery import MasterySummary, summary


class ConsentView(BaseModel):
    email: bool
    sms: bool


class GuardianView(BaseModel):
    guardian_id: str
    relationship: str
    educational_rights: bool
    language: str
    email: str | None
    phone: str | None
    consent: ConsentView
    time_zone: str | None = None
    quiet_hours: dict[str, str] | None = None
    frequency: dict[str, str] = {}
    linked_at: datetime


class GoalView(BaseModel):
    goal_id: str
    competency_ids: list[str]
    target_date: date | None
    status: str
    agreed_by: list[str]
    note: str | None
    set_at: datetime


class ReflectionView(BaseModel):
    reflection_id: str
    text: str | None
    competency_ids: list[str]
    confidence: int | None
    recorded_at: datetime


class StudentView(BaseModel):
    student_id: str
    district_id: str
    school_id: str | None
    grade: str | None
    section_ids: list[str]
    display_name: str | None
    enrolled_at: datetime
    guardians: list[GuardianView]
    version: int = 1
    status: str = "enrolled"
    withdrawn_on: date | None = None
    external_ids: dict[str, str] = {}
    strengths: list[str] = []
    needs: list[str] = []
    interests: list[str] = []
    modality_preferred: list[str] = []
    modality_avoided: list[str] = []
    accommodation_requirements: list[str] = []
    accommodation_plans: list[dict[str, Any]] = []
    goals: list[GoalView] = []
    reflections: list[ReflectionView] = []
    mastery: MasterySummary = MasterySummary()
    """Current mastery per competency, from path.events.v1."""


def _sealed(raw: str | None) -> EncryptedValue | None:
    return EncryptedValue.model_validate_json(raw) if raw else None


def _kids(rows: list[asyncpg.Record], *columns: str) -> set[str]:
    return {json.loads(r[c])["kid"] for r in rows for c in columns if r[c] is not None}


async def facts(conn: asyncpg.Connection, district: str, student_id: str) -> StudentFacts | None:
    """What access decisions need about the district's student, from the projection."""
    row = await conn.fetchrow(
        "SELECT district_id, section_ids FROM students WHERE district_id = $1 AND student_id = $2",
        district,
        student_id,
    )
    if row is None:
        return None
    rights = await conn.fetch(
        """SELECT guardian_id, educational_rights FROM guardians
            WHERE district_id = $1 AND student_id = $2""",
        district,
        student_id,
    )
    return StudentFacts(
        student_id=student_id,
        district=row["district_id"],
        section_ids=frozenset(row["section_ids"]),
        guardian_rights={r["guardian_id"]: r["educational_rights"] for r in rights},
    )


async def student(
    conn: asyncpg.Connection, student_id: str, viewer: Viewer, personal: PersonalData
) -> StudentView | None:
    """The student as ``viewer`` may see them, or None (also when they may not).

    Only the viewer's district is looked in. An erased student is gone at once,
    before the projection has dropped them.
    """
    key = (viewer.district, student_id)
    erased = await conn.fetchval(
        """SELECT state->>'status' = 'erased' FROM student_streams
            WHERE district_id = $1 AND student_id = $2""",
        *key,
    )
    found = None if erased else await facts(conn, *key)
    if found is None or not sees(viewer, found):
        return None
    mine = "WHERE district_id = $1 AND student_id = $2"
    row = await conn.fetchrow(f"SELECT * FROM students {mine}", *key)
    guardians = await conn.fetch(f"SELECT * FROM guardians {mine} ORDER BY guardian_id", *key)
    if viewer.role == "guardian":
        guardians = [g for g in guardians if g["guardian_id"] == viewer.subject]
    elif viewer.role == "student":
        guardians = []
    goals = await conn.fetch(f"SELECT * FROM goals {mine} ORDER BY goal_id", *key)
    reflections = await conn.fetch(
        f"SELECT * FROM reflections {mine} ORDER BY recorded_at, reflection_id", *key
    )
    kids = (
        _kids([row], "display_name", "accommodation_details", "external_ids_sealed")
        | _kids(guardians, "email", "phone")
        | _kids(goals, "note")
        | _kids(reflections, "text")
    )
    vault = await personal.vault(conn, viewer.district, kids=kids)
    view = _view(row, guardians, goals, reflections, vault)
    return view.model_copy(update={"mastery": await summary(conn, *key)})


def _view(
    row: asyncpg.Record,
    guardians: list[asyncpg.Record],
    goals: list[asyncpg.Record],
    reflections: list[asyncpg.Record],
    vault: Vault,
) -> StudentView:
    plans = vault.open(_sealed(row["accommodation_details"]))
    return StudentView(
        student_id=row["student_id"],
        district_id=row["district_id"],
        school_id=row["school_id"],
        grade=row["grade"],
        section_ids=row["section_ids"],
        display_name=vault.open(_sealed(row["display_name"])),
        enrolled_at=row["enrolled_at"],
        version=row["version"],
        status=row["status"],
        withdrawn_on=row["withdrawn_on"],
        external_ids=json.loads(
            vault.open(_sealed(row["external_ids_sealed"])) or row["external_ids"]
        ),
        strengths=row["strengths"],
        needs=row["needs"],
        interests=row["interests"],
        modality_preferred=row["modality_preferred"],
        modality_avoided=row["modality_avoided"],
        accommodation_requirements=row["accommodation_requirements"],
        accommodation_plans=json.loads(plans) if plans else [],
        guardians=[
            GuardianView(
                guardian_id=g["guardian_id"],
                relationship=g["relationship"],
                educational_rights=g["educational_rights"],
                language=g["language"],
                email=vault.open(_sealed(g["email"])),
                phone=vault.open(_sealed(g["phone"])),
                consent=ConsentView(**{"email": False, "sms": False, **json.loads(g["consent"])}),
                time_zone=g["time_zone"],
                quiet_hours=json.loads(g["quiet_hours"]) if g["quiet_hours"] else None,
                frequency=json.loads(g["frequency"]) if g["frequency"] else {},
                linked_at=g["linked_at"],
            )
            for g in guardians
        ],
        goals=[
            GoalView(
                goal_id=g["goal_id"],
                competency_ids=g["competency_ids"],
                target_date=g["target_date"],
                status=g["status"],
                agreed_by=g["agreed_by"],
                note=vault.open(_sealed(g["note"])),
                set_at=g["set_at"],
            )
            for g in goals
        ],
        reflections=[
            ReflectionView(
                reflection_id=r["reflection_id"],
                text=vault.open(_sealed(r["text"])),
                competency_ids=r["competency_ids"],
                confidence=r["confidence"],
                recorded_at=r["recorded_at"],
            )
            for r in reflections
        ],
    )
