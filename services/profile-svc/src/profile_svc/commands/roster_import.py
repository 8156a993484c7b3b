"""Running a OneRoster import against the command side: one stream command per student.

New students are enrolled exactly as ``POST /v1/students`` enrolls them;
known ones get only the events ``domain.roster.changes`` finds, decided
against the stream state under the stream's row lock, so an import repeated
(or retried after a crash half-way) emits nothing for what is already so.
Section teachers and teachers' addresses (users.csv, role teacher) are
reference data and are written directly; the students whose teachers they
change get a ``TeachersAssigned`` (``teaching``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

import asyncpg
from pydantic import BaseModel, ValidationError

from pathwise_contracts import Event
from profile_svc.adapters.personal import PersonalData, Vault
from profile_svc.commands import streams, teaching, viewers
from profile_svc.domain.access import StudentFacts, Viewer, sees
from profile_svc.domain.oneroster import Package, Rejection
from profile_svc.domain.roster import Patch, Plan, changes, new_enrollment, plan

_PARALLEL = 4


class RejectedRow(BaseModel):
    file: str
    row: int
    field: str
    reason: str


class SectionTeachers(BaseModel):
    assigned: int = 0
    removed: int = 0


class ImportReport(BaseModel):
    """Students created, updated (withdrawals included), skipped as unchanged, and rejected rows."""

    created: int = 0
    updated: int = 0
    skipped: int = 0
    withdrawn: int = 0
    events: int = 0
    section_teachers: SectionTeachers = SectionTeachers()
    rejected: list[RejectedRow] = []


@dataclass
class _Run:
    pool: asyncpg.Pool
    district: str
    viewer: Viewer
    personal: PersonalData
    source: str
    orgs: dict[str, str]
    report: ImportReport

    def reject(self, patch: Patch, field: str, reason: str) -> None:
        file, row = patch.origin
        self.report.rejected.append(RejectedRow(file=file, row=row, field=field, reason=reason))

    async def student(self, patch: Patch, known: str | None) -> None:
        if known is None:
            await self.create(patch)
        elif known == "erased":
            self.reject(patch, "sourcedId", "the student was erased; a roster cannot restore them")
        else:
            await self.update(patch)

    async def create(self, patch: Patch) -> None:
        if patch.withdraw_on is not None:
            self.report.skipped += 1  # deleting someone never imported: nothing to do
            return
        if patch.user is None:
            self.reject(patch, "userSourcedId", "no such student in users.csv or imported before")
            return
        try:
            body = new_enrollment(patch, self.orgs)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            self.reject(patch, where, first["msg"])
            return
        result = await streams.enroll(
            self.pool, body, district=self.district, personal=self.personal, source=self.source
        )
        if result.outcome is streams.Outcome.ENROLLED:
            self.report.created += 1
            self.report.events += 1 + len(body.guardians)
            if patch.accommodations:  # enrolment carries none: the plan's codes follow
                await self.update(patch, count=False)
        elif result.outcome is streams.Outcome.ERASED:
            self.reject(patch, "sourcedId", "the student was erased; a roster cannot restore them")
        else:  # enrolled meanwhile by someone else: bring it in line like any known student
            await self.update(patch)

    async def update(self, patch: Patch, *, count: bool = True) -> None:
        emitted: list[Event] = []
        unknown = False

        def may(viewer: Viewer, facts: StudentFacts) -> bool:
            return sees(viewer, facts)

        def decide(stream: streams.Stream, version: int, vault: Vault) -> list[Event]:
            emitted[:] = changes(
                patch,
                stream.state,
                version=version,
                orgs=self.orgs,
                seal=vault.seal_student,
                seal_contact=vault.seal_guardian,
                open_=vault.open,
                ids=vault.identities,
            )
            nonlocal unknown
            unknown = patch.accommodations is not None and stream.state.requirements is None
            return emitted

        try:
            await streams.append(
                self.pool,
                patch.student_id,
                viewer=self.viewer,
                may=may,
                expected=None,
                decide=decide,
                personal=self.personal,
                source=self.source,
                guardians=[g.guardian_id for g in patch.guardians.values()],
            )
        except streams.NotFound:
            self.reject(patch, "sourcedId", "the student was erased; a roster cannot restore them")
            return
        if unknown:
            self.reject(
                patch,
                "metadata.pathwise.accommodations",
                "the student's current accommodations predate roster sync; "
                "set them once through the profile (PUT .../accommodations)",
            )
        if not emitted:
            self.report.skipped += count
            return
        self.report.updated += count
        self.report.events += len(emitted)
        self.report.withdrawn += patch.withdraw_on is not None


async def _linked(
    conn: asyncpg.Connection, district: str, guardians: list[str]
) -> list[tuple[str, str]]:
    """(guardian, student) links in the command-side state, for guardians the roster deleted."""
    rows = await conn.fetch(
        """SELECT g.guardian, s.student_id FROM student_streams AS s,
                  unnest($2::text[]) AS g(guardian)
            WHERE s.district_id = $1 AND s.state->'guardians' ? g.guardian""",
        district,
        guardians,
    )
    return [(r["guardian"], r["student_id"]) for r in rows]


async def run(
    pool: asyncpg.Pool,
    package: Package,
    *,
    viewer: Viewer,
    personal: PersonalData,
    source: str,
    today: date,
) -> ImportReport:
    """Import a checked package for the viewer's district; returns what happened."""
    work: Plan = plan(package, today=today)
    report = ImportReport()
    district = viewer.district
    async with pool.acquire() as conn:
        if work.unlink_everywhere:
            for guardian, student in await _linked(conn, district, list(work.unlink_everywhere)):
                origin = work.unlink_everywhere[guardian]
                work.students.setdefault(student, Patch(student, origin)).unlink.add(guardian)
        named = {g for patch in work.students.values() for g in patch.guardians}
        for guardian in await streams.erased_guardians(conn, district, named):
            for patch in work.students.values():
                if patch.guardians.pop(guardian, None) is not None:
                    file, row = patch.origin
                    report.rejected.append(
                        RejectedRow(
                            file=file,
                            row=row,
                            field="guardian",
                            reason=f"guardian {guardian!r} was erased; a roster cannot link "
                            "them again",
                        )
                    )
        rows = await conn.fetch(
            "SELECT student_id, state->>'status' AS status FROM student_streams "
            "WHERE district_id = $1 AND student_id = ANY($2)",
            district,
            list(work.students),
        )
        async with conn.transaction():
            assigned, removed = await viewers.sync_teachers(
                conn, district, work.teachers, work.teacher_add, work.teacher_remove
            )
            readdressed = await teaching.set_emails(conn, personal, district, work.teacher_emails)
            sections = set(work.teachers) | {s for s, _ in work.teacher_add | work.teacher_remove}
            touched = await teaching.students_in_sections(conn, district, sections)
            touched += await teaching.students_of_teachers(conn, district, readdressed)
            await teaching.refresh(conn, district, touched, source=source)
    report.section_teachers = SectionTeachers(assigned=assigned, removed=removed)
    known = {r["student_id"]: r["status"] or "enrolled" for r in rows}
    state = _Run(pool, district, viewer, personal, source, package.org_types, report)
    gate = asyncio.Semaphore(_PARALLEL)

    async def one(patch: Patch) -> None:
        async with gate:
            await state.student(patch, known.get(patch.student_id))

    await asyncio.gather(*(one(work.students[s]) for s in sorted(work.students)))
    report.rejected = sorted(
        [RejectedRow(**_row(r)) for r in work.rejected] + report.rejected,
        key=lambda r: (r.file, r.row, r.field),
    )
    return report


def _row(rejection: Rejection) -> dict[str, object]:
    return {
        "file": rejection.file,
        "row": rejection.row,
        "field": rejection.field,
        "reason": rejection.reason,
    }
