"""The ``assessments`` table, built from assessment.events.v1 alone."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from assessment_svc.projections import erasure
from pathwise_contracts import ASSESSMENT_EVENTS, AssessmentRecorded, AssessmentVoided, Envelope
from pathwise_runtime.projection import Delivered


class AssessmentsProjection:
    """Every recorded result, its recording time (the envelope's) and whether it was voided."""

    name: str = "assessments"
    topics: tuple[str, ...] = (ASSESSMENT_EVENTS.name,)
    tables: tuple[str, ...] = ("assessments",)

    async def apply(
        self, conn: asyncpg.Connection, batch: Sequence[Delivered]
    ) -> Sequence[Envelope]:
        recorded: dict[UUID, tuple[Delivered, AssessmentRecorded]] = {}
        voided: dict[tuple[str, UUID], str | None] = {}
        for item in batch:
            event = item.event
            if isinstance(event, AssessmentRecorded):
                recorded.setdefault(event.assessment_id, (item, event))
            elif isinstance(event, AssessmentVoided):
                voided[(item.envelope.districtid, event.assessment_id)] = event.reason
        gone = await erasure.erased_students(
            conn, ((d.envelope.districtid, e.student_id) for d, e in recorded.values())
        )
        kept = [
            (d, e)
            for d, e in recorded.values()
            if (d.envelope.districtid, e.student_id) not in gone
        ]
        # A void always follows its result on the same partition, so insert first.
        await _insert(conn, kept)
        if voided:
            await conn.execute(
                """UPDATE assessments AS a SET voided = true, void_reason = v.reason
                     FROM unnest($1::text[], $2::uuid[], $3::text[])
                          AS v(district_id, assessment_id, reason)
                    WHERE a.assessment_id = v.assessment_id AND a.district_id = v.district_id""",
                [d for d, _ in voided],
                [a for _, a in voided],
                list(voided.values()),
            )
        return ()


async def _insert(
    conn: asyncpg.Connection, rows: list[tuple[Delivered, AssessmentRecorded]]
) -> None:
    if not rows:
        return
    await conn.execute(
        """INSERT INTO assessments (assessment_id, student_id, district_id, competency_id,
                                    score, max_score, occurred_at, source, source_id,
                                    recorded_at)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[],
                                $5::float8[], $6::float8[], $7::timestamptz[], $8::text[],
                                $9::text[], $10::timestamptz[])
           ON CONFLICT (assessment_id) DO NOTHING""",
        [e.assessment_id for _, e in rows],
        [e.student_id for _, e in rows],
        [d.envelope.districtid for d, _ in rows],
        [e.competency_id for _, e in rows],
        [e.score for _, e in rows],
        [e.max_score for _, e in rows],
        [e.occurred_at for _, e in rows],
        [e.source for _, e in rows],
        [e.source_id for _, e in rows],
        [d.envelope.time for d, _ in rows],
    )
