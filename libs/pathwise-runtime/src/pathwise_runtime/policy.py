"""Who may act on which student: one rule for every service.

Each service asks the same question against its own projection of the
roster (``access``): may this caller read the student's record, steer what
they learn next, or add evidence about them? Pure: the facts come in, a
decision goes out, so the whole matrix is tested without I/O.

- An **admin** acts on any student of their district.
- A **teacher** acts on students of the sections they teach.
- A **guardian** reads the students they hold educational rights for.
- A **student** reads their own record and chooses their own steps.
- A **service** reads and records for its district; it never steers.

A student the caller may not see does not exist for them (404), whether
they are in another district, erased, or in the caller's district but not
theirs (another section, another family): answers tell nothing about who is
where, as profile-svc has always answered. A role that may not do the act at
all is told so (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pathwise_runtime.auth import Principal


class Act(StrEnum):
    READ = "read"
    """The student's record: path, mastery, results, overrides."""
    STEER = "steer"
    """What the student learns next: overrides, choices of modality."""
    RECORD = "record"
    """Evidence about the student: results, voids."""


@dataclass(frozen=True, slots=True)
class StudentAccess:
    """What a service knows, from the profile log, of who stands near a student."""

    district: str
    student_id: str
    teachers: frozenset[str] = frozenset()
    guardians: frozenset[str] = frozenset()
    """Guardians holding educational rights."""
    erased: bool = False


@dataclass(frozen=True, slots=True)
class Denied:
    status: int
    detail: str


EXPORT_PURPOSE = "record-export"
"""The ``purpose`` claim of the service token a record export reads each service with."""

_MAY: dict[str, frozenset[Act]] = {
    "admin": frozenset(Act),
    "teacher": frozenset(Act),
    "guardian": frozenset({Act.READ}),
    "student": frozenset({Act.READ, Act.STEER}),
    "service": frozenset({Act.READ, Act.RECORD}),
}


def decide(
    who: Principal,
    act: Act,
    student_id: str,
    access: StudentAccess | None,
    *,
    known_elsewhere: bool = False,
) -> Denied | None:
    """None when ``who`` may ``act`` on the student, else why not.

    ``access`` is the student as known in the caller's district (None when
    unknown there). Evidence may arrive before the roster does, so an admin or
    a service may record for (and read what their district holds of) a
    student nobody knows yet; not for one that another district holds
    (``known_elsewhere``).
    """
    missing = Denied(404, f"no student {student_id!r} in your district")
    if act not in _MAY.get(who.role, frozenset()):
        return Denied(403, f"role '{who.role}' may not {act} a student's learning")
    if access is None or access.district != who.district or access.erased:
        unrostered = who.role in ("admin", "service") and act is not Act.STEER
        return None if access is None and unrostered and not known_elsewhere else missing
    if who.role in ("admin", "service"):
        return None
    theirs = {
        "teacher": who.subject in access.teachers,
        "guardian": who.subject in access.guardians,
        "student": who.subject == student_id,
    }
    return None if theirs.get(who.role, False) else missing


def decide_export_section(who: Principal) -> Denied | None:
    """None when ``who`` may read a service's whole section of a student's record.

    Only the export itself does: a service token issued for the export purpose
    (``purpose`` claim ``record-export``), which profile-svc uses after it has
    decided that the person asking may export. Users, and service tokens issued
    for anything else (sending messages, recording results), read through the
    ordinary endpoints, each of which decides for itself.
    """
    if who.role != "service":
        return Denied(403, f"role '{who.role}' may not read a record section; export instead")
    if who.purpose != EXPORT_PURPOSE:
        return Denied(403, f"a service token needs purpose '{EXPORT_PURPOSE}' for this")
    return None
