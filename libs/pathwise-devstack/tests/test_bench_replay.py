"""The replay rows' synthetic logs: real contract events, reproducible, in each service's mix."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import islice
from types import SimpleNamespace
from uuid import uuid4

import pytest
from rich.console import Console

from pathwise_contracts import TOPICS, Envelope, StudentEnrolled, TeachersAssigned
from pathwise_devstack import entrypoints
from pathwise_devstack.cli import build_parser
from pathwise_devstack.commands.bench.replay import (
    DEFAULT_REPLAY_EVENTS,
    SERVICES,
    OnBenchTopics,
    measure_replay,
    target_seconds,
)
from pathwise_devstack.commands.bench.replay_log import messages
from pathwise_devstack.commands.bench.replay_mixes import MIXES
from pathwise_devstack.commands.bench.report import render_replay
from pathwise_runtime import replay
from pathwise_runtime.projection import Delivered

pytestmark = pytest.mark.unit

CODES = ("3.OA.A.1", "3.OA.A.2", "3.NF.A.1", "3.MD.A.1")
KNOWN_TOPICS = {t.name for t in TOPICS}


@pytest.mark.parametrize("service", SERVICES)
def test_every_message_is_a_valid_event_keyed_by_its_subject(service: str) -> None:
    seen: Counter[str] = Counter()
    count = 0
    for topic, key, value in messages(MIXES[service], 3000, CODES):
        envelope, event = Envelope.parse(value)
        assert topic in KNOWN_TOPICS
        assert key.decode() == envelope.subject == event.student_id
        assert envelope.districtid in {"d1", "d2", "d3"}
        seen[type(event).__name__] += 1
        count += 1
    assert count == 3000
    assert len(seen) >= 4, seen  # a mix, not one type


@pytest.mark.parametrize("service", SERVICES)
def test_a_mix_writes_only_topics_the_service_reads_and_feeds_every_projection(
    service: str,
) -> None:
    # Building the projections touches nothing: no pool, no keys until first use.
    runtime = SimpleNamespace(source=f"urn:pathwise:{service}", settings=None, pool=None)
    built = list(entrypoints.service_spec(service).projections(runtime))
    written = {topic for topic, _, _ in messages(MIXES[service], 3000, CODES)}
    read = {t for p in built for t in p.topics}
    assert written <= read
    own = {"notify-svc": "delivery_log"}  # reads only what notify-svc itself writes
    for p in built:
        if p.name != own.get(service):
            assert written & set(p.topics), f"{p.name} would replay nothing"


@pytest.mark.parametrize("service", SERVICES)
def test_a_services_replay_stages_name_each_of_its_projections_once(service: str) -> None:
    runtime = SimpleNamespace(source=f"urn:pathwise:{service}", settings=None, pool=None)
    spec = entrypoints.service_spec(service)
    built = list(spec.projections(runtime))
    groups = replay.stages(built, spec.replay_stages)  # raises when they do not
    assert [p for group in groups for p in group] != [] and len(groups) < len(built) + 1


def test_the_same_seed_gives_the_same_log_and_another_seed_another() -> None:
    mix = MIXES["path-svc"]
    first = list(messages(mix, 500, CODES))
    assert first == list(messages(mix, 500, CODES))
    assert first != list(messages(mix, 500, CODES, seed=1))


def test_every_student_is_enrolled_before_anything_else_about_them() -> None:
    enrolled: set[str] = set()
    for _, _, value in messages(MIXES["notify-svc"], 4000, CODES):
        _, event = Envelope.parse(value)
        if isinstance(event, StudentEnrolled):
            enrolled.add(event.student_id)
        else:
            assert event.student_id in enrolled


def test_assessment_results_name_students_by_digest_and_come_with_their_record() -> None:
    log = [Envelope.parse(v) for _, _, v in messages(MIXES["assessment-svc"], 2000, CODES)]
    identities = {e.student_id: e.identities for _, e in log if isinstance(e, StudentEnrolled)}
    submitted = {env.id: e for env, e in log if e.type.endswith("ResultSubmitted.v1")}
    recorded = {env.id: e for env, e in log if e.type.endswith("AssessmentRecorded.v1")}
    mapped = {i: e for i, e in submitted.items() if getattr(e, "competency_id", None)}
    assert mapped and len(mapped) < len(submitted)  # some arrive unmapped
    for event in mapped.values():
        twin = recorded[event.assessment_id]
        assert [event.identity] == identities[twin.student_id]
        assert event.student_id == f"ext:{event.identity}"


def test_the_log_is_generated_lazily() -> None:
    # a million messages are never built to take the first few
    assert len(list(islice(messages(MIXES["profile-svc"], DEFAULT_REPLAY_EVENTS, CODES), 5))) == 5


def test_no_personal_data_in_clear() -> None:
    for _, _, value in messages(MIXES["profile-svc"], 2000, CODES):
        text = value.decode()
        assert "@" not in text  # contacts are sealed values, never addresses


class Recorder:
    name = "recorder"
    topics = ("profile.events.v1", "path.events.v1")
    tables = ("t",)

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def apply(self, conn: object, batch: Sequence[Delivered]) -> Sequence[Envelope]:
        self.seen += [d.topic for d in batch]
        return ()


async def test_a_projection_reads_the_bench_copies_under_the_real_names() -> None:
    inner = Recorder()
    copies = {"profile.events.v1": "bench.x.profile", "path.events.v1": "bench.x.path"}
    wrapped = OnBenchTopics(inner, copies)  # type: ignore[arg-type]
    assert wrapped.topics == ("bench.x.profile", "bench.x.path")
    assert (wrapped.name, wrapped.tables) == ("recorder", ("t",))
    event = TeachersAssigned(student_id="s1", teachers=[])
    envelope = Envelope.wrap(
        event, id=uuid4(), source="urn:t", district_id="d1", time=datetime.now(UTC)
    )
    await wrapped.apply(
        None,  # type: ignore[arg-type]
        [Delivered(envelope, event, "bench.x.path", 0, 1)],
    )
    assert inner.seen == ["path.events.v1"]


def test_the_table_shows_target_verdicts_skips_and_dead_letter_warnings() -> None:
    row = {
        "events": 1_000_000,
        "seconds": 42.5,
        "events_per_s": 23529.4,
        "target_seconds": 60.0,
        "meets_target": True,
        "dead_lettered": 0,
    }
    rows = {
        "path-svc": row,
        "notify-svc": {
            **row,
            "seconds": 75.0,
            "meets_target": False,
            "dead_lettered": 3,
            "warning": "3 records were dead-lettered",
        },
        "profile-svc": {"skipped": "profile-svc cannot be loaded"},
    }
    screen = io.StringIO()
    Console(file=screen, width=160).print(render_replay(rows))
    text = screen.getvalue()
    assert "1,000,000" in text and "ok" in text and "missed" in text
    assert "<= 60 s  ok" in text  # a million: the target itself
    assert "cannot be loaded" in text
    assert "notify-svc: 3 records were dead-lettered" in text
    rows["path-svc"] = {**row, "events": 100_000, "target_seconds": 6.0, "target_scaled": True}
    screen = io.StringIO()
    Console(file=screen, width=160).print(render_replay(rows))
    assert "<= 6 s (scaled)" in screen.getvalue()


def test_the_target_scales_with_the_events_replayed() -> None:
    assert target_seconds(1_000_000) == 60.0
    assert target_seconds(100_000) == 6.0
    assert target_seconds(2_000) == 0.12


def test_replay_events_option() -> None:
    assert build_parser().parse_args(["bench"]).replay_events == DEFAULT_REPLAY_EVENTS
    assert build_parser().parse_args(["bench", "--replay-events", "0"]).replay_events == 0


async def test_a_service_that_cannot_be_loaded_is_skipped_with_the_reason() -> None:
    row = await measure_replay(None, "no-such-svc", 10, CODES)  # type: ignore[arg-type]
    assert set(row) == {"skipped"}
    assert "no-such-svc cannot be loaded" in row["skipped"]
