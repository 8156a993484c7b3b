"""Projection "intake": external identities meet enrolled students; parked results wait.

A ``ResultSubmitted`` names its student by an identity digest. If an enrolled
student answers to it, the result becomes ``AssessmentRecorded``; if not, it is
parked and released by the ``StudentEnrolled`` that introduces the identity.
A result that reached no competency is held in ``unmapped`` and released by the
``CompetencyMappingsChanged`` that maps its activity (``mappings``), or mapped at
once if the projection already has that mapping. Every path emits the same event
(id = the assessment id, time = the submission's), so the rows and events are the
same whichever topic or partition a replay reads first.

The same consumer keeps the runtime's ``access`` table (who may act on which
student) and carries out ``SubjectErased`` (``erasure``): erasures first in a
batch, and results of an erased identity are dropped, not parked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from assessment_svc.domain.mapping import resolve
from assessment_svc.projections import erasure, mappings
from assessment_svc.projections.intake_writes import Kept, Recorded, Void, Voiding, Writes
from pathwise_contracts import (
    ASSESSMENT_EVENTS,
    PROFILE_EVENTS,
    AssessmentVoided,
    CompetencyMapping,
    CompetencyMappingsChanged,
    EnrollmentChanged,
    Envelope,
    ResultSubmitted,
    StudentEnrolled,
    SubjectErased,
    SubmissionVoided,
    derive_event_id,
)
from pathwise_contracts.identity import legacy_digests
from pathwise_runtime.access import AccessProjection
from pathwise_runtime.pii import Keyring
from pathwise_runtime.projection import Delivered


class IntakeProjection:
    """Identities, mappings, parked and unmapped results; emits recorded and voided results."""

    name: str = "intake"
    topics: tuple[str, ...] = (ASSESSMENT_EVENTS.name, PROFILE_EVENTS.name)
    tables: tuple[str, ...] = (
        "identities",
        "parked",
        "resolved",
        "unmapped",
        "competency_map",
        "erased_students",
        *AccessProjection.tables,
    )

    def __init__(self, source: str, keyring: Callable[[], Keyring]) -> None:
        self.source = source
        self.keyring = keyring  # on first use: listing a service's topics needs no keys
        self.access = AccessProjection()

    async def apply(
        self, conn: asyncpg.Connection, batch: Sequence[Delivered]
    ) -> Sequence[Envelope]:
        await self.access.apply(conn, [d for d in batch if d.topic == PROFILE_EVENTS.name])
        enrolled = [d for d in batch if isinstance(d.event, StudentEnrolled | EnrollmentChanged)]
        digests = {
            id(d): self._digests(d.event, self._district(d))
            for d in batch
            if isinstance(d.event, StudentEnrolled | EnrollmentChanged)
        }
        await self._identities(conn, batch, digests)
        results = [
            (d.envelope.districtid or "", d.event)
            for d in batch
            if isinstance(d.event, ResultSubmitted)
        ]
        gone = await erasure.erased_identities(conn, [(d, e.identity) for d, e in results])
        lookup = _Lookup()
        await lookup.prefetch(
            conn,
            students=[(d, e.identity) for d, e in results],
            activities=[(d, e.activity) for d, e in results if e.competency_id is None],
        )
        writes = Writes(self.source, self._void)
        for item in batch:
            if isinstance(item.event, ResultSubmitted):
                if (item.envelope.districtid or "", item.event.identity) in gone:
                    continue  # about an erased student: not kept, not released later
                district = item.envelope.districtid or ""
                await self._submitted(
                    conn, lookup, writes, item.event, district, item.envelope.time
                )
            elif isinstance(item.event, CompetencyMappingsChanged):
                await writes.flush(conn)  # what it releases from ``unmapped`` is there
                await self._mapped(conn, lookup, writes, item.event, item.envelope)
            elif isinstance(item.event, SubmissionVoided):
                voiding = Voiding(
                    item.event.assessment_id,
                    item.envelope.districtid,
                    item.event.reason,
                    item.envelope.time,
                )
                writes.void(voiding)
        await writes.flush(conn)  # what the releases take from ``parked`` is there
        await self._release(conn, lookup, writes, enrolled, digests)
        await writes.flush(conn)
        return writes.out

    async def _identities(
        self, conn: asyncpg.Connection, batch: Sequence[Delivered], digests: dict[int, list[str]]
    ) -> None:
        """Identities first, in log order with erasures (which read them): a run of
        enrolments in one statement, flushed before anything that reads the table."""
        rows: list[tuple[str, str, str]] = []
        for item in batch:
            event = item.event
            if isinstance(event, StudentEnrolled | EnrollmentChanged):
                district = self._district(item)
                if isinstance(event, EnrollmentChanged):
                    await _add_identities(conn, rows)
                    if not await self._known(conn, district, event):
                        # A change for a student this district never enrolled (or erased):
                        # it names no identity, so it releases nothing parked.
                        digests[id(item)] = []
                        continue
                # Identities only accumulate: a result that named an old id still finds the student.
                rows.extend((district, d, event.student_id) for d in digests[id(item)])
            elif isinstance(event, SubjectErased) and event.kind == "student":
                await _add_identities(conn, rows)
                district = item.envelope.districtid or ""
                await erasure.erase(conn, district, event.student_id, event.erased_at)
        await _add_identities(conn, rows)

    def _digests(self, event: StudentEnrolled | EnrollmentChanged, district: str) -> list[str]:
        """The identities profile-svc announced; computed here only for older events."""
        if event.identities is not None:
            return sorted(set(event.identities))
        keyed = self.keyring().identities(district).of_student(event.student_id, event.external_ids)
        return sorted({*keyed, *legacy_digests(event.student_id, event.external_ids)})

    @staticmethod
    def _district(item: Delivered) -> str:
        event = item.event
        if isinstance(event, StudentEnrolled):
            return event.district_id
        return item.envelope.districtid or ""

    @staticmethod
    async def _known(conn: asyncpg.Connection, district: str, event: EnrollmentChanged) -> bool:
        return bool(
            await conn.fetchval(
                """SELECT true FROM identities WHERE district_id = $1 AND student_id = $2
                    LIMIT 1""",
                district,
                event.student_id,
            )
        )

    async def _submitted(
        self,
        conn: asyncpg.Connection,
        lookup: _Lookup,
        writes: Writes,
        event: ResultSubmitted,
        district: str,
        time: datetime,
        void: Void | None = None,
    ) -> None:
        """``void``: a held result withdrawn before its mapping came, voided where it lands."""
        if event.competency_id is None:
            found = await lookup.mapping(conn, district, event.activity)
            mapped = None if found is None else resolve(event, *found)
            if mapped is None:
                await writes.hold(conn, Kept(event, district, time))
                return
            event = mapped
        student = await lookup.student(conn, district, event.identity)
        if student is None:
            await writes.park(conn, Kept(event, district, time, void))
        else:
            await writes.record(conn, Recorded(event, student, district, time, void))

    def _void(
        self, assessment_id: UUID, student: str, district: str, reason: str, time: datetime
    ) -> Envelope:
        event = AssessmentVoided(assessment_id=assessment_id, student_id=student, reason=reason)
        return Envelope.wrap(
            event,
            id=derive_event_id(assessment_id, "void"),
            source=self.source,
            district_id=district,
            time=time,
        )

    async def _mapped(
        self,
        conn: asyncpg.Connection,
        lookup: _Lookup,
        writes: Writes,
        event: CompetencyMappingsChanged,
        envelope: Envelope,
    ) -> None:
        """Set the mappings, then release what they now cover as if it had come mapped."""
        district = envelope.districtid or ""
        await mappings.upsert(conn, district, event.mappings, event.changed_at, envelope.id)
        lookup.forget(district, event.mappings)
        released = []
        for held in await mappings.held(conn, district, event.mappings):
            mapped = resolve(held.result, held.competency_id, held.max_score)
            if mapped is not None:  # else its score exceeds the mapped maximum: refused
                released.append((mapped, held))
        await mappings.unhold(conn, district, [m.assessment_id for m, _ in released])
        await lookup.prefetch(conn, students=[(district, m.identity) for m, _ in released])
        for mapped, held in released:
            await self._submitted(
                conn, lookup, writes, mapped, district, held.submitted_at, held.void
            )

    async def _release(
        self,
        conn: asyncpg.Connection,
        lookup: _Lookup,
        writes: Writes,
        enrolled: Sequence[Delivered],
        digests: dict[int, list[str]],
    ) -> None:
        """The parked results the batch's enrolments introduce, released by the first
        enrolment naming them, each enrolment's oldest first."""
        first: dict[tuple[str, str], int] = {}
        for n, item in enumerate(enrolled):
            district = self._district(item)
            for digest in digests[id(item)]:
                first.setdefault((district, digest), n)
        if not first:
            return
        rows = await conn.fetch(
            """DELETE FROM parked p
                USING unnest($1::text[], $2::text[]) AS w(district_id, identity)
                WHERE p.district_id = w.district_id AND p.identity = w.identity
            RETURNING p.assessment_id, p.district_id, p.identity, p.result, p.submitted_at,
                      p.void_reason, p.voided_at""",
            [d for d, _ in first],
            [i for _, i in first],
        )
        order = sorted(
            rows,
            key=lambda r: (
                first[(r["district_id"], r["identity"])],
                r["submitted_at"],
                r["assessment_id"],
            ),
        )
        await lookup.prefetch(conn, students=[(r["district_id"], r["identity"]) for r in rows])
        for row in order:
            district = row["district_id"]
            student = await lookup.student(conn, district, row["identity"])
            assert student is not None
            result = ResultSubmitted.model_validate_json(row["result"])
            void = (row["void_reason"], row["voided_at"]) if row["void_reason"] else None
            await writes.record(
                conn, Recorded(result, student, district, row["submitted_at"], void)
            )


class _Lookup:
    """What a batch reads again and again: students by identity (the table is written
    before the results are applied) and mappings by activity (until a mapping changes),
    each asked for many at once."""

    def __init__(self) -> None:
        self.students: dict[tuple[str, str], str | None] = {}
        self.mappings: dict[tuple[str, str], tuple[str, float | None] | None] = {}

    async def prefetch(
        self,
        conn: asyncpg.Connection,
        students: Iterable[tuple[str, str]] = (),
        activities: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Ask once for the (district, identity) and (district, activity) not known yet."""
        wanted = {k for k in students if k not in self.students}
        if wanted:
            self.students.update(await _students(conn, wanted))
        unknown = {k for k in activities if k not in self.mappings}
        if unknown:
            self.mappings.update(await mappings.mappings_of(conn, unknown))

    def forget(self, district: str, changed: Iterable[CompetencyMapping]) -> None:
        """The activities a mapping change may have remapped are asked again."""
        refs = {(m.kind, m.ref) for m in changed}
        for key in [k for k in self.mappings if k[0] == district]:
            kind, _, ref = key[1].partition(":")
            if (kind, ref) in refs:
                del self.mappings[key]

    async def student(self, conn: asyncpg.Connection, district: str, identity: str) -> str | None:
        await self.prefetch(conn, students=[(district, identity)])
        return self.students[(district, identity)]

    async def mapping(
        self, conn: asyncpg.Connection, district: str, activity: str
    ) -> tuple[str, float | None] | None:
        await self.prefetch(conn, activities=[(district, activity)])
        return self.mappings[(district, activity)]


async def _students(
    conn: asyncpg.Connection, wanted: set[tuple[str, str]]
) -> dict[tuple[str, str], str | None]:
    """The student each (district, identity) names, None for the unknown.

    Two students claiming one identity: the smallest id wins, in any replay order.
    """
    pairs = sorted(wanted)
    rows = await conn.fetch(
        """SELECT w.district_id, w.identity, min(i.student_id) AS student_id
             FROM unnest($1::text[], $2::text[]) AS w(district_id, identity)
             JOIN identities i USING (district_id, identity)
            GROUP BY w.district_id, w.identity""",
        [d for d, _ in pairs],
        [i for _, i in pairs],
    )
    found: dict[tuple[str, str], str | None] = dict.fromkeys(pairs)
    found.update({(r["district_id"], r["identity"]): r["student_id"] for r in rows})
    return found


async def _add_identities(conn: asyncpg.Connection, rows: list[tuple[str, str, str]]) -> None:
    """Insert the queued (district, identity, student) rows and empty the queue."""
    if not rows:
        return
    await conn.execute(
        """INSERT INTO identities (district_id, identity, student_id)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING""",
        [d for d, _, _ in rows],
        [i for _, i, _ in rows],
        [s for _, _, s in rows],
    )
    rows.clear()
