"""Who may see a student: decided here, from facts the adapters look up.

Anyone who may not see a student is told it does not exist (404), so the
answer never reveals that a student is enrolled somewhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Viewer:
    role: str
    subject: str
    district: str
    sections: frozenset[str] = field(default_factory=frozenset)
    """The sections a teacher teaches (from the roster); empty for other roles."""


@dataclass(frozen=True, slots=True)
class StudentFacts:
    student_id: str
    district: str
    section_ids: frozenset[str]
    guardian_rights: Mapping[str, bool]
    """Each linked guardian and whether they hold educational rights (FERPA)."""


def sees(viewer: Viewer, student: StudentFacts) -> bool:
    """Admins and services see their district, teachers their sections' students,
    guardians their own children only with educational rights, a student themself."""
    if viewer.district != student.district:
        return False
    if viewer.role in ("admin", "service"):
        return True
    if viewer.role == "teacher":
        return bool(viewer.sections & student.section_ids)
    if viewer.role == "guardian":
        return student.guardian_rights.get(viewer.subject, False)
    if viewer.role == "student":
        return viewer.subject == student.student_id
    return False


def is_guardian(viewer: Viewer, student: StudentFacts) -> bool:
    """A linked guardian, with or without rights: may manage their own contact details."""
    return (
        viewer.district == student.district
        and viewer.role == "guardian"
        and viewer.subject in student.guardian_rights
    )
