"""Read side: a student's profile from the ``profiles`` projection, decrypted to answer."""

from __future__ import annotations

import json
from datetime import datetime

import asyncpg
from pydantic import BaseModel

from pathwise_contracts import EncryptedValue
from profile_svc.personal import PersonalData


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
    linked_at: datetime


class StudentView(BaseModel):
    student_id: str
    district_id: str
    school_id: str | None
    grade: str | None
    section_ids: list[str]
    display_name: str | None
    enrolled_at: datetime
    guardians: list[GuardianView]


def _sealed(raw: str | None) -> EncryptedValue | None:
    return EncryptedValue.model_validate_json(raw) if raw else None


async def student(
    pool: asyncpg.Pool, student_id: str, district: str, personal: PersonalData
) -> StudentView | None:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT * FROM students WHERE student_id = $1 AND district_id = $2",
            student_id,
            district,
        )
        if row is None:
            return None
        guardians = await conn.fetch(
            "SELECT * FROM guardians WHERE student_id = $1 ORDER BY guardian_id", student_id
        )
    return StudentView(
        student_id=row["student_id"],
        district_id=row["district_id"],
        school_id=row["school_id"],
        grade=row["grade"],
        section_ids=row["section_ids"],
        display_name=personal.open(_sealed(row["display_name"])),
        enrolled_at=row["enrolled_at"],
        guardians=[
            GuardianView(
                guardian_id=g["guardian_id"],
                relationship=g["relationship"],
                educational_rights=g["educational_rights"],
                language=g["language"],
                email=personal.open(_sealed(g["email"])),
                phone=personal.open(_sealed(g["phone"])),
                consent=ConsentView(**{"email": False, "sms": False, **json.loads(g["consent"])}),
                linked_at=g["linked_at"],
            )
            for g in guardians
        ],
    )
