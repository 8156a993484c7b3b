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

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from assessment_svc.domain.mapping import resolve
from assessment_svc.projections import erasure, mappings
from pathwise_contracts import (
    ASSESSMENT_EVENTS,
    PROFILE_EVENTS,
    AssessmentRecorded,
    AssessmentVoided,
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
from pathwise_runtime.rows import from_row


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
        out: list[Envelope] = []
        await self.access.apply(conn, [d for d in batch if d.topic == PROFILE_EVENTS.name])
        enrolled = [d for d in batch if isinstance(d.event, StudentEnrolled | EnrollmentChanged)]
        for item in batch:  # identities first, in log order with erasures (which read them)
            district = item.envelope.districtid or ""
            if isinstance(item.event, StudentEnrolled | EnrollmentChanged):
                await self._enroll(conn, item.event, district)
            elif isinstance(item.event, SubjectErased) and item.event.kind == "student":
                await erasure.erase(conn, district, item.event.student_id, item.event.erased_at)
        gone = await erasure.erased_identities(
            conn,
            (
                (d.envelope.districtid or "", d.event.identity)
                for d in batch
                if isinstance(d.event, ResultSubmitted)
            ),
        )
        for item in batch:
            if isinstance(item.event, ResultSubmitted):
                if (item.envelope.districtid or "", item.event.identity) in gone:
                    continue  # about an erased student: not kept, not released later
                district = item.envelope.districtid or ""
                out.extend(await self._submitted(conn, item.event, district, item.envelope.time))
            elif isinstance(item.event, CompetencyMappingsChanged):
                out.extend(await self._mapped(conn, item.event, item.envelope))
            elif isinstance(item.event, SubmissionVoided):
                out.extend(await self._voided(conn, item.event, item.envelope))
        for item in enrolled:
            assert isinstance(item.event, StudentEnrolled | EnrollmentChanged)
            out.extend(await self._release(conn, item.event, item.envelope.districtid or ""))
        return out

    def _digests(self, event: StudentEnrolled | EnrollmentChanged, district: str) -> list[str]:
        """The identities profile-svc announced; computed here only for older events."""
        if event.identities is not None:
            return sorted(set(event.identities))
        keyed = self.keyring().identities(district).of_student(event.student_id, event.external_ids)
        return sorted({*keyed, *legacy_digests(event.student_id, event.external_ids)})

    @staticmethod
    def _district(event: StudentEnrolled | EnrollmentChanged, district: str) -> str:
        return event.district_id if isinstance(event, StudentEnrolled) else district

    async def _enroll(
        self, conn: asyncpg.Connection, event: StudentEnrolled | EnrollmentChanged, district: str
    ) -> None:
        """Identities only accumulate: a result that named an old id still finds the student."""
        district = self._district(event, district)
        if isinstance(event, EnrollmentChanged) and not await self._known(conn, district, event):
            return  # a change for a student this district never enrolled (or erased)
        await conn.execute(
            """INSERT INTO identities (district_id, identity, student_id)
               SELECT $1, unnest($2::text[]), $3 ON CONFLICT DO NOTHING""",
            district,
            self._digests(event, district),
            event.student_id,
        )

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

    async def _student(self, conn: asyncpg.Connection, district: str, who: str) -> str | None:
        # Two students claiming one identity: the smallest id wins, in any replay order.
        found: str | None = await conn.fetchval(
            "SELECT min(student_id) FROM identities WHERE district_id = $1 AND identity = $2",
            district,
            who,
        )
        return found

    async def _submitted(
        self,
        conn: asyncpg.Connection,
        event: ResultSubmitted,
        district: str,
        time: datetime,
        void: tuple[str, datetime] | None = None,
    ) -> list[Envelope]:
        """``void``: a held result withdrawn before its mapping came, voided where it lands."""
        if event.competency_id is None:
            found = await mappings.mapping_of(conn, district, event.activity)
            mapped = None if found is None else resolve(event, *found)
            if mapped is None:
                await mappings.hold(conn, district, event, time)
                return []
            event = mapped
        student = await self._student(conn, district, event.identity)
        if student is None:
            await conn.execute(
                """INSERT INTO parked (assessment_id, district_id, identity, result, submitted_at,
                                       void_reason, voided_at)
                   VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7) ON CONFLICT DO NOTHING""",
                event.assessment_id,
                district,
                event.identity,
                event.model_dump_json(),
                time,
                *(void or (None, None)),
            )
            return []
        return await self._record(conn, event, student, district, time, void)

    async def _record(
        self,
        conn: asyncpg.Connection,
        event: ResultSubmitted,
        student: str,
        district: str,
        time: datetime,
        void: tuple[str, datetime] | None = None,
    ) -> list[Envelope]:
        new = await conn.fetchval(
            """INSERT INTO resolved (district_id, assessment_id, student_id) VALUES ($1, $2, $3)
               ON CONFLICT DO NOTHING RETURNING true""",
            district,
            event.assessment_id,
            student,
        )
        if not new:
            return []
        assert event.competency_id is not None
        recorded = from_row(AssessmentRecorded, dict(event), student_id=student)
        out = [
            Envelope.wrap(
                recorded,
                id=event.assessment_id,
                source=self.source,
                district_id=district,
                time=time,
            )
        ]
        if void is not None:
            out.append(self._void(event.assessment_id, student, district, *void))
        return out

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
        self, conn: asyncpg.Connection, event: CompetencyMappingsChanged, envelope: Envelope
    ) -> list[Envelope]:
        """Set the mappings, then release what they now cover as if it had come mapped."""
        district = envelope.districtid or ""
        await mappings.upsert(conn, district, event.mappings, event.changed_at, envelope.id)
        out: list[Envelope] = []
        for held in await mappings.held(conn, district, event.mappings):
            mapped = resolve(held.result, held.competency_id, held.max_score)
            if mapped is None:
                continue  # its score exceeds the mapped maximum: admission would refuse it
            await mappings.unhold(conn, district, mapped.assessment_id)
            out.extend(await self._submitted(conn, mapped, district, held.submitted_at, held.void))
        return out

    async def _voided(
        self, conn: asyncpg.Connection, event: SubmissionVoided, envelope: Envelope
    ) -> list[Envelope]:
        district = envelope.districtid
        student = await conn.fetchval(
            "SELECT student_id FROM resolved WHERE district_id = $1 AND assessment_id = $2",
            district,
            event.assessment_id,
        )
        if student is not None:
            return [self._void(event.assessment_id, student, district, event.reason, envelope.time)]
        await conn.execute(
            """UPDATE parked SET void_reason = $2, voided_at = $3
                WHERE assessment_id = $1 AND district_id = $4 AND void_reason IS NULL""",
            event.assessment_id,
            event.reason,
            envelope.time,
            district,
        )
        await conn.execute(
            """UPDATE unmapped SET voided = true, void_reason = coalesce(void_reason, $3),
                                   voided_at = coalesce(voided_at, $4)
                WHERE assessment_id = $1 AND district_id = $2""",
            event.assessment_id,
            district,
            event.reason,
            envelope.time,
        )
        return []

    async def _release(
        self, conn: asyncpg.Connection, event: StudentEnrolled | EnrollmentChanged, district: str
    ) -> list[Envelope]:
        district = self._district(event, district)
        digests = self._digests(event, district)
        rows = await conn.fetch(
            """DELETE FROM parked WHERE district_id = $1 AND identity = ANY($2::text[])
               RETURNING assessment_id, identity, result, submitted_at, void_reason, voided_at""",
            district,
            digests,
        )
        out: list[Envelope] = []
        for row in sorted(rows, key=lambda r: (r["submitted_at"], r["assessment_id"])):
            student = await self._student(conn, district, row["identity"])
            assert student is not None
            result = ResultSubmitted.model_validate(json.loads(row["result"]))
            void = (row["void_reason"], row["voided_at"]) if row["void_reason"] else None
            out.extend(
                await self._record(conn, result, student, district, row["submitted_at"], void)
            )
        return out
