"""Competency mappings as events, and a held result meeting its mapping: pure rules."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

from pathwise_contracts import CompetencyMapping, CompetencyMappingsChanged, ResultSubmitted, ids

CHUNK_BYTES = 200_000  # an event stays far below the broker's message limit
EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")  # "before any logged change"


def partition_key(district: str) -> str:
    return f"district:{district}"


def activity(kind: str, ref: str) -> str:
    """The ``ResultSubmitted.activity`` a mapping covers."""
    return f"{kind}:{ref}"


def latest(mappings: Iterable[CompetencyMapping]) -> list[CompetencyMapping]:
    """One mapping per (kind, ref), the last given winning (as row-by-row upserts did)."""
    by_key = {(m.kind, m.ref): m for m in mappings}
    return [by_key[k] for k in sorted(by_key)]


def digest(mappings: Sequence[CompetencyMapping]) -> str:
    canonical = json.dumps([m.model_dump() for m in mappings], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def changes(
    district: str, mappings: Sequence[CompetencyMapping], changed_at: datetime, cause: str
) -> list[tuple[UUID, CompetencyMappingsChanged]]:
    """The events of one change, in chunks a broker takes, each with a deterministic id.

    ``cause`` names the change (an Idempotency-Key, or the content and time): the
    same cause derives the same ids, so the outbox queues a re-derivation once."""
    chunks: list[list[CompetencyMapping]] = [[]]
    size = 0
    for m in latest(mappings):
        weight = len(m.kind) + len(m.ref) + len(m.competency_id) + 64
        if chunks[-1] and size + weight > CHUNK_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(m)
        size += weight
    return [
        (
            ids.derive_event_id(partition_key(district), "mappings", cause, str(n)),
            CompetencyMappingsChanged(
                student_id=partition_key(district), mappings=chunk, changed_at=changed_at
            ),
        )
        for n, chunk in enumerate(chunks)
        if chunk
    ]


def cause_of(mappings: Sequence[CompetencyMapping], changed_at: datetime) -> str:
    """A change without an Idempotency-Key is new each time it is made."""
    return f"{digest(latest(mappings))}@{changed_at.isoformat()}"


def resolve(
    result: ResultSubmitted, competency_id: str, mapped_max: float | None
) -> ResultSubmitted | None:
    """The result as admission would have made it had the mapping been there first;
    None where admission would have refused it (its score exceeds the mapped maximum)."""
    max_score = result.max_score
    if result.max_score_assumed and mapped_max is not None:
        max_score = mapped_max
    if result.score > max_score:
        return None
    return ResultSubmitted.model_validate(
        {
            **result.model_dump(),
            "competency_id": competency_id,
            "max_score": max_score,
            "max_score_assumed": result.max_score_assumed and mapped_max is None,
        }
    )
