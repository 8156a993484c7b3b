"""What a OneRoster package means for each student, and the events that follow.

``plan`` turns a checked package into one ``Patch`` per student it touches
(and the section teachers it names); ``changes`` compares a patch with the
student's stream state and returns only the events for what differs, so
importing the same package twice emits nothing the second time.

Who owns what: the roster (the SIS) owns a student's school, grade,
sections, name and ids, and a guardian's relationship, educational rights,
email and phone. Language and consent are taken from the roster only when a
guardian is first linked; after that they are the guardian's to change, and
a re-import never overrides an opt-out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from pathwise_contracts import (
    AccommodationsChanged,
    Channel,
    EncryptedValue,
    EnrollmentChanged,
    Event,
    GuardianLinked,
    GuardianUnlinked,
    StudentWithdrawn,
)
from pathwise_contracts.identity import Identities
from profile_svc.domain.enrollment import Consent, Enrollment, Guardian, seal_ids
from profile_svc.domain.oneroster import GUARDIAN_ROLES, Package, Rejection, User
from profile_svc.domain.plan_codes import accommodation_codes
from profile_svc.domain.stream import StreamState

Seal = Callable[[str, str], EncryptedValue]
Open = Callable[[EncryptedValue | None], str | None]


@dataclass(frozen=True, slots=True)
class GuardianFacts:
    guardian_id: str
    relationship: str
    educational_rights: bool
    email: str | None
    phone: str | None
    language: str
    consent: Consent


@dataclass
class Patch:
    """What the package says about one student; ``None`` and empty mean "as it is"."""

    student_id: str
    origin: tuple[str, int]
    user: User | None = None
    withdraw_on: date | None = None
    sections: set[str] | None = None
    add: set[str] = field(default_factory=set)
    remove: set[str] = field(default_factory=set)
    external_ids: dict[str, str | None] = field(default_factory=dict)
    guardians: dict[str, GuardianFacts] = field(default_factory=dict)
    unlink: set[str] = field(default_factory=set)
    accommodations: list[str] | None = None
    """Catalogue codes from ``metadata.pathwise.accommodations``; None: as they are."""


@dataclass
class Plan:
    students: dict[str, Patch] = field(default_factory=dict)
    teachers: dict[str, set[str]] = field(default_factory=dict)
    """Full teacher sets per section (bulk enrollments)."""
    teacher_add: set[tuple[str, str]] = field(default_factory=set)
    teacher_remove: set[tuple[str, str]] = field(default_factory=set)
    teacher_emails: dict[str, str | None] = field(default_factory=dict)
    """Teachers' addresses from users.csv (None: no address, or the teacher was deleted)."""
    rejected: list[Rejection] = field(default_factory=list)
    unlink_everywhere: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Guardians deleted from the roster: unlink from every student they are linked to."""


def _guardian(user: User) -> GuardianFacts:
    meta = user.metadata
    rights = meta.get("pathwise.educationalRights")
    return GuardianFacts(
        guardian_id=user.row.sourced_id,
        relationship=user.role,
        educational_rights=rights.lower() == "true" if rights else user.role != "relative",
        email=user.email,
        phone=user.phone,
        language=meta.get("pathwise.language", "en"),
        consent=Consent(
            email=meta.get("pathwise.consent.email", "false").lower() == "true",
            sms=meta.get("pathwise.consent.sms", "false").lower() == "true",
        ),
    )


def plan(package: Package, *, today: date) -> Plan:
    """Per-student patches and section teachers from a checked package."""
    out = Plan(rejected=list(package.rejected))

    def patch(student_id: str, origin: tuple[str, int]) -> Patch:
        return out.students.setdefault(student_id, Patch(student_id, origin))

    users = package.users
    for user in users.values():
        row = user.row
        if user.role == "student":
            p = patch(row.sourced_id, (row.file, row.line))
            p.user, p.origin = user, (row.file, row.line)
            if row.status == "tobedeleted":
                p.withdraw_on = row.modified.date() if row.modified else today
                continue
            p.external_ids["oneroster"] = row.sourced_id
            p.accommodations = accommodation_codes(user.metadata.get("pathwise.accommodations"))
            if user.identifier:
                p.external_ids["sis"] = user.identifier
            for agent in user.agent_ids:
                found = users.get(agent)
                if found is not None and found.role in GUARDIAN_ROLES:
                    if found.row.status == "active":
                        p.guardians[agent] = _guardian(found)
                elif found is not None or package.mode("users") == "bulk":
                    out.rejected.append(
                        Rejection(
                            row.file,
                            row.line,
                            "agentSourcedIds",
                            f"{agent!r} is no guardian imported from users.csv",
                        )
                    )
        elif user.role == "teacher":
            out.teacher_emails[row.sourced_id] = user.email if row.status == "active" else None
        elif user.role in GUARDIAN_ROLES:
            for student in user.agent_ids:
                other = users.get(student)
                if other is not None and other.role != "student":
                    continue
                p = patch(student, (row.file, row.line))
                if row.status == "tobedeleted":
                    p.unlink.add(row.sourced_id)
                else:
                    p.guardians[row.sourced_id] = _guardian(user)
            if row.status == "tobedeleted":
                out.unlink_everywhere[row.sourced_id] = (row.file, row.line)
    if package.mode("enrollments") == "bulk":
        for p in out.students.values():
            p.sections = set()
    for e in package.enrollments:
        row = e.row
        if e.role == "teacher":
            if package.mode("enrollments") == "bulk":
                out.teachers.setdefault(e.class_id, set()).add(e.user_id)
            elif row.status == "active":
                out.teacher_add.add((e.class_id, e.user_id))
            else:
                out.teacher_remove.add((e.class_id, e.user_id))
        elif e.role == "student":
            p = patch(e.user_id, (row.file, row.line))
            if package.mode("enrollments") == "bulk":
                p.sections = (p.sections or set()) | {e.class_id}
            elif row.status == "active":
                p.add.add(e.class_id)
            else:
                p.remove.add(e.class_id)
    if package.mode("enrollments") == "bulk":
        for section in package.sections:
            out.teachers.setdefault(section, set())
    for profile in package.profiles:
        row = profile.row
        p = patch(profile.user_id, (row.file, row.line))
        key = f"lms:{profile.vendor_id}"
        p.external_ids[key] = row.sourced_id if row.status == "active" else None
    return out


def _school(patch: Patch, package_orgs: dict[str, str]) -> str | None:
    assert patch.user is not None
    schools = [o for o in patch.user.org_ids if package_orgs.get(o, "school") == "school"]
    return schools[0] if schools else (patch.user.org_ids[0] if patch.user.org_ids else None)


@dataclass(frozen=True, slots=True)
class Facts:
    """A student's enrollment facts in plaintext: what the roster says they now are."""

    school_id: str | None
    grade: str | None
    section_ids: list[str]
    display_name: str | None
    external_ids: dict[str, str]


def target(
    patch: Patch,
    state: StreamState,
    name: str | None,
    orgs: dict[str, str],
    external_ids: dict[str, str] | None = None,
) -> Facts:
    """The facts after the patch, from the current ones (``name`` and ``external_ids``
    are the current name and ids, opened)."""
    sections = set(state.section_ids) if patch.sections is None else set(patch.sections)
    sections = (sections | patch.add) - patch.remove
    external = {**(external_ids or {}), **patch.external_ids}
    user = patch.user
    return Facts(
        school_id=_school(patch, orgs) if user else state.school_id,
        grade=(user.grades[0] if user.grades else None) if user else state.grade,
        section_ids=sorted(sections),
        display_name=user.display_name if user else name,
        external_ids={k: v for k, v in sorted(external.items()) if v is not None},
    )


def new_enrollment(patch: Patch, orgs: dict[str, str]) -> Enrollment:
    """The enrollment that starts a student the roster brings (may raise ValidationError)."""
    facts = target(patch, StreamState(), None, orgs)
    return Enrollment(
        student_id=patch.student_id,
        school_id=facts.school_id,
        grade=facts.grade,
        section_ids=facts.section_ids,
        display_name=facts.display_name,
        external_ids=facts.external_ids,
        guardians=[
            Guardian(
                guardian_id=g.guardian_id,
                relationship=g.relationship,
                educational_rights=g.educational_rights,
                email=g.email,
                phone=g.phone,
                language=g.language,
                consent=g.consent,
            )
            for _, g in sorted(patch.guardians.items())
        ],
    )


def changes(
    patch: Patch,
    state: StreamState,
    *,
    version: int,
    orgs: dict[str, str],
    seal: Seal,
    seal_contact: Seal,
    open_: Open,
    ids: Identities,
) -> list[Event]:
    """The events that bring an existing student in line with the patch; none if it already is."""
    sid = patch.student_id
    if patch.withdraw_on is not None:
        if state.status != "enrolled":
            return []
        return [
            StudentWithdrawn(
                student_id=sid, version=version, withdrawn_on=patch.withdraw_on, reason="other"
            )
        ]
    if state.status != "enrolled":
        return []
    events: list[Event] = []
    name = open_(state.display_name)
    opened = open_(state.sealed_external_ids)
    external = json.loads(opened) if opened else state.external_ids
    facts = target(patch, state, name, orgs, external)
    before = Facts(state.school_id, state.grade, sorted(state.section_ids), name, external)
    if facts != before:
        sealed = state.display_name
        if facts.display_name != name:
            sealed = seal(sid, facts.display_name) if facts.display_name else None
        sealed_ids = state.sealed_external_ids
        if facts.external_ids != external or state.external_ids:
            sealed_ids = seal_ids(seal, sid, facts.external_ids)
        events.append(
            EnrollmentChanged(
                student_id=sid,
                version=version,
                school_id=facts.school_id,
                grade=facts.grade,
                section_ids=facts.section_ids,
                display_name=sealed,
                sealed_external_ids=sealed_ids,
                identities=ids.of_student(sid, facts.external_ids),
            )
        )
    for gid in sorted(patch.unlink & set(state.guardians)):
        events.append(
            GuardianUnlinked(student_id=sid, version=version, guardian_id=gid, reason="roster")
        )
    for _, g in sorted(patch.guardians.items()):
        events.extend(_guardian_events(sid, g, state, version, seal_contact, open_))
    events.extend(accommodation_events(patch, state, version))
    return events


def accommodation_events(patch: Patch, state: StreamState, version: int) -> list[Event]:
    """The roster's accommodation codes, if they differ; the sealed plan details are kept.

    A state that does not know the current codes (``None``, stored before
    streams kept them) is left alone rather than risk dropping the details.
    """
    wanted = patch.accommodations
    if wanted is None or state.requirements is None:
        return []
    if sorted(set(wanted)) == sorted(set(state.requirements)):
        return []
    return [
        AccommodationsChanged(
            student_id=patch.student_id,
            version=version,
            requirements=sorted(set(wanted)),
            details=state.accommodation_details,
        )
    ]


def _guardian_events(
    sid: str, g: GuardianFacts, state: StreamState, version: int, seal_contact: Seal, open_: Open
) -> list[Event]:
    gid = g.guardian_id
    current = state.guardians.get(gid)

    def sealed(old: EncryptedValue | None, new: str | None) -> EncryptedValue | None:
        if new is None:
            return None
        return old if old is not None and open_(old) == new else seal_contact(gid, new)

    email = sealed(current.email if current else None, g.email)
    phone = sealed(current.phone if current else None, g.phone)
    if current is None:
        return [
            GuardianLinked(
                student_id=sid,
                version=version,
                guardian_id=gid,
                relationship=g.relationship,
                educational_rights=g.educational_rights,
                language=g.language,
                email=email,
                phone=phone,
                consent={Channel.EMAIL: g.consent.email, Channel.SMS: g.consent.sms},
            )
        ]
    after = current.model_copy(update={"email": email, "phone": phone})
    out: list[Event] = []
    if (current.relationship, current.educational_rights) != (g.relationship, g.educational_rights):
        out.append(
            GuardianLinked(
                student_id=sid,
                version=version,
                guardian_id=gid,
                relationship=g.relationship,
                educational_rights=g.educational_rights,
                language=current.language,
                email=email,
                phone=phone,
                consent=dict(current.consent),
            )
        )
    if out or (email, phone) != (current.email, current.phone):
        out.append(after.preferences(sid, gid, version))
    return out
