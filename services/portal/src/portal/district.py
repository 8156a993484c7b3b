"""The district overview's arithmetic, pure: who needs support, mastery by school and grade."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class SupportRow:
    student_id: str
    sections: tuple[str, ...]
    competency_id: str
    reason: str
    opened_at: str | None


def needing_support(by_section: Mapping[str, list[dict[str, Any]]]) -> list[SupportRow]:
    """Open alerts across sections, one row per student and competency (a student in two
    sections is listed once, with both), the longest waiting first."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for section, alerts in sorted(by_section.items()):
        for a in alerts:
            key = (a["student_id"], a["competency_id"])
            row = merged.setdefault(key, {**a, "sections": []})
            row["sections"].append(section)
    rows = [
        SupportRow(
            student_id=r["student_id"],
            sections=tuple(r["sections"]),
            competency_id=r["competency_id"],
            reason=str(r.get("reason", "")),
            opened_at=r.get("opened_at"),
        )
        for r in merged.values()
    ]
    return sorted(rows, key=lambda r: (r.opened_at is None, r.opened_at or "", r.student_id))


@dataclass(frozen=True, slots=True)
class MasteryRow:
    school_id: str
    grade: str
    students: int
    with_evidence: int
    mastered: int

    @property
    def per_student(self) -> float:
        """Competencies mastered per student with evidence (0 when nobody has any yet)."""
        return self.mastered / self.with_evidence if self.with_evidence else 0.0

    @property
    def evidence_share(self) -> int:
        """Percent of the group's students with any evidence yet."""
        return round(100 * self.with_evidence / self.students) if self.students else 0


def mastery_rows(groups: list[dict[str, Any]], unknown: str = "—") -> list[MasteryRow]:
    """profile-svc's groups as table rows, with a total per school after its grades."""
    rows: list[MasteryRow] = []
    schools: dict[str, list[MasteryRow]] = {}
    for g in groups:
        row = MasteryRow(
            school_id=g.get("school_id") or unknown,
            grade=g.get("grade") or unknown,
            students=int(g["students"]),
            with_evidence=int(g["with_evidence"]),
            mastered=int(g["mastered"]),
        )
        schools.setdefault(row.school_id, []).append(row)
    for school, grades in schools.items():
        rows.extend(sorted(grades, key=lambda r: _grade_order(r.grade)))
        if len(grades) > 1:
            rows.append(
                MasteryRow(
                    school_id=school,
                    grade="",
                    students=sum(r.students for r in grades),
                    with_evidence=sum(r.with_evidence for r in grades),
                    mastered=sum(r.mastered for r in grades),
                )
            )
    return rows


def _grade_order(grade: str) -> tuple[int, str]:
    """K before 1 before 10; anything else after, by name."""
    if grade.upper() in ("K", "KG"):
        return (0, "")
    return (int(grade) + 1, "") if grade.isdigit() else (100, grade)
