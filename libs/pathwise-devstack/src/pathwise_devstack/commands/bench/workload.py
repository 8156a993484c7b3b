"""What every measure reads: N AssessmentRecorded events on a fresh topic, produced once."""

from __future__ import annotations

import asyncio
import random
import secrets
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from pathwise_contracts import AssessmentRecorded, Envelope, Topic
from pathwise_contracts.topics import FOREVER
from pathwise_devstack import entrypoints

DEFAULT_EVENTS = 200_000
STUDENTS = 10_000
PARTITIONS = 12
RAW_BATCH = 5_000
PROJECTOR_MAX_RECORDS = 5_000
RATIO_TARGET = 0.5
STALL_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.05
DEFAULT_OUT = Path("bench") / "results" / "latest.json"
SEED = 20_260_901

# Used when path-svc's framework cannot be loaded; codes in the framework's style.
FALLBACK_COMPETENCIES = (
    "3.OA.A.1",
    "3.OA.A.2",
    "3.OA.A.3",
    "3.NF.A.1",
    "3.NF.A.2",
    "3.MD.A.1",
    "3.G.A.1",
    "3.NBT.A.1",
)
Progress = Callable[[str], None]


class BenchError(RuntimeError):
    """A measure could not complete (stalled, or its setup failed)."""


@dataclass(frozen=True)
class Workload:
    """The messages every measure reads: produced once, consumed by each."""

    topic: Topic
    messages: list[tuple[bytes, bytes]]
    competencies: tuple[str, ...]
    competencies_from: str

    @property
    def events(self) -> int:
        return len(self.messages)

    @property
    def mean_value_bytes(self) -> float:
        return sum(len(v) for _, v in self.messages) / max(1, len(self.messages))


def build_workload(
    events: int, competencies: Sequence[str], competencies_from: str, *, students: int = STUDENTS
) -> Workload:
    """N AssessmentRecorded envelopes keyed by student id, pre-serialised."""
    rng = random.Random(SEED)
    topic = Topic(
        f"bench.assessment.{secrets.token_hex(4)}.v1", partitions=PARTITIONS, retention_ms=FOREVER
    )
    start = datetime(2026, 9, 1, 8, tzinfo=UTC)
    messages: list[tuple[bytes, bytes]] = []
    for n in range(events):
        student = f"s{rng.randrange(students):05d}"
        max_score = 4.0
        event = AssessmentRecorded(
            assessment_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            student_id=student,
            competency_id=rng.choice(competencies),
            score=float(rng.randint(0, 4)),
            max_score=max_score,
            occurred_at=start + timedelta(seconds=n),
            source="bench",
            source_id=str(n),
        )
        envelope = Envelope.wrap(
            event,
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            source="urn:pathwise:bench",
            district_id="d1",
            time=event.occurred_at,
        )
        messages.append((student.encode(), envelope.to_bytes()))
    return Workload(topic, messages, tuple(competencies), competencies_from)


# ---------------------------------------------------------------------------
# path-svc discovery (it may not exist yet, or have no projection yet)


@dataclass
class PathService:
    spec: Any
    competencies: tuple[str, ...] | None
    framework_problem: str | None


def competency_codes(items: Any) -> tuple[str, ...]:
    """Competency ids from whatever shape a framework exposes them in."""
    if isinstance(items, Mapping):
        return tuple(str(k) for k in items)
    codes: list[str] = []
    for item in items:
        if isinstance(item, str):
            codes.append(item)
            continue
        for attribute in ("code", "id", "competency_id"):
            value = getattr(item, attribute, None)
            if isinstance(value, str) and value:
                codes.append(value)
                break
    return tuple(codes)


def discover_path_service() -> PathService | str:
    """path-svc's SPEC and its framework's competency ids, or why they are unavailable."""
    try:
        spec = entrypoints.service_spec("path-svc")
    except Exception as exc:
        return f"path-svc's service entry point is unavailable: {type(exc).__name__}: {exc}"
    if not callable(getattr(spec, "projections", None)):
        return "path-svc's SPEC has no projections"
    try:
        framework = entrypoints.default_framework()
        codes = competency_codes(framework.competencies)
    except Exception as exc:
        return PathService(spec, None, f"{type(exc).__name__}: {exc}")
    if not codes:
        return PathService(spec, None, "the default framework lists no competencies")
    return PathService(spec, codes, None)


def rate(events: int, seconds: float) -> dict[str, Any]:
    return {
        "events": events,
        "seconds": round(seconds, 3),
        "events_per_s": round(events / seconds, 1) if seconds > 0 else 0.0,
    }


async def measure_produce(bootstrap: str, workload: Workload) -> dict[str, Any]:
    """aiokafka producer throughput, keyed, with lingering batches."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks=1,
        linger_ms=5,
        max_batch_size=256 * 1024,
        enable_idempotence=False,
    )
    await producer.start()
    try:
        topic = workload.topic.name
        started = time.perf_counter()
        futures = [await producer.send(topic, value, key=key) for key, value in workload.messages]
        await asyncio.gather(*futures)
        elapsed = time.perf_counter() - started
    finally:
        await producer.stop()
    return {**rate(workload.events, elapsed), "acks": 1, "linger_ms": 5, "max_batch_bytes": 262144}


class Stall:
    """Gives up on a measure that made no progress for STALL_TIMEOUT_S."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._count = -1
        self._since = time.monotonic()

    def check(self, count: int, total: int, detail: str = "") -> None:
        now = time.monotonic()
        if count != self._count:
            self._count, self._since = count, now
        elif now - self._since > STALL_TIMEOUT_S:
            extra = f" ({detail})" if detail else ""
            raise BenchError(
                f"{self._what}: no progress for {STALL_TIMEOUT_S:.0f}s at {count}/{total}{extra}"
            )
