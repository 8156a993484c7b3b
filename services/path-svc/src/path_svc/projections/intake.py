"""The ``learning`` projection as deployed: evidence and profile facts in one consumer.

Mastery (``learning``), planning profiles and erasures (``learners``) and
who may act on a student (the runtime's ``access``) are three ideas with their own modules, but they
run as one projection on the assessment and profile topics: each consumer
group costs a service seconds of start-up, and none of the three depends on
the order in which the two topics interleave (evidence and profiles touch
different tables; an erasure is a tombstone, see ``erasure``). The profile
part runs first so that an erasure locks before the evidence part does.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from path_svc.domain.framework import Framework
from path_svc.projections.learners import LearnerProjection
from path_svc.projections.learning import LearningProjection
from pathwise_contracts import ASSESSMENT_EVENTS, PROFILE_EVENTS, Envelope
from pathwise_runtime.access import AccessProjection
from pathwise_runtime.projection import Delivered


class IntakeProjection:
    """Everything path-svc takes in from other services' topics."""

    name: str = "learning"
    topics: tuple[str, ...] = (ASSESSMENT_EVENTS.name, PROFILE_EVENTS.name)
    tables: tuple[str, ...] = (
        *LearningProjection.tables,
        *LearnerProjection.tables,
        *AccessProjection.tables,
    )

    def __init__(self, source: str, framework: Framework | None = None) -> None:
        self.learning = LearningProjection(source, framework)
        self.learners = LearnerProjection(source)
        self.access = AccessProjection()

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Delivered]) -> list[Envelope]:
        profile = [d for d in batch if d.topic == PROFILE_EVENTS.name]
        evidence = [d for d in batch if d.topic != PROFILE_EVENTS.name]
        emitted: list[Envelope] = []
        if profile:
            emitted += await self.learners.apply(conn, profile)
            await self.access.apply(conn, profile)
        if evidence:
            emitted += await self.learning.apply(conn, evidence)
        return emitted
