"""What each projection's consumer asks of the broker: its fetch wait, its commits."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from aiokafka import ConsumerRecord, TopicPartition

from pathwise_runtime import tally
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.projector import Projector
from pathwise_runtime.service import Runtime, ServiceSpec, build_projectors
from pathwise_runtime.settings import ServiceSettings


class _Recorder:
    """Stands in for the FastStream broker: keeps what each subscriber asked for."""

    def __init__(self) -> None:
        self.options: dict[str, dict[str, Any]] = {}

    def subscriber(self, *topics: str, **options: Any) -> Any:
        self.options[options["group_id"]] = options
        return lambda handler: handler


def test_unhurried_projections_wait_longer_at_the_broker(tmp_path: Path) -> None:
    spec = ServiceSpec(
        name="waits-svc",
        migrations=tmp_path,
        projections=lambda _: [tally.Tally("hot", ["t"]), tally.Tally("audit", ["t"])],
        unhurried=("audit",),
    )
    settings = ServiceSettings(
        SERVICE_NAME="waits-svc",
        CONSUMER_FETCH_MAX_WAIT_MS=100,
        CONSUMER_UNHURRIED_FETCH_MAX_WAIT_MS=1000,
    )
    runtime = Runtime(settings, cast(Any, None), cast(Any, None), cast(Any, None))
    broker = _Recorder()
    for projector in build_projectors(spec, runtime):
        projector.register(cast(Any, broker))
    waits = {group: o["fetch_max_wait_ms"] for group, o in broker.options.items()}
    assert waits == {"waits-svc.hot": 100, "waits-svc.audit": 1000}


class _Consumer:
    def __init__(self) -> None:
        self.commits: list[dict[TopicPartition, int]] = []

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(offsets)


def _record(partition: int, offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("t", partition, offset, 0, 0, b"k", b"v", None, 1, 1, [])


async def test_offsets_are_committed_at_most_once_per_interval() -> None:
    projector = Projector(
        BatchApplier(tally.Tally("hot", ["t"]), cast(Any, None), ""),
        group_id="g",
        commit_interval_s=0.2,
    )
    consumer = _Consumer()
    projector._subscriber = SimpleNamespace(consumer=consumer)
    projector.assigned = {TopicPartition("t", 0), TopicPartition("t", 1)}
    projector._applied([_record(0, 4)])
    await asyncio.sleep(0.05)
    projector._applied([_record(0, 5), _record(1, 9)])
    projector._applied([_record(0, 7)])
    projector.forget_offsets({TopicPartition("t", 1)})
    await asyncio.sleep(0.05)
    assert consumer.commits == [{TopicPartition("t", 0): 5}]
    await asyncio.sleep(0.2)
    assert consumer.commits == [{TopicPartition("t", 0): 5}, {TopicPartition("t", 0): 8}]
