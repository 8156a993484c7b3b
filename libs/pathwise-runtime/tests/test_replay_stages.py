"""Replay's stages: which projections are rebuilt together, and in what order."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from pathwise_runtime import replay


@dataclass
class Named:
    name: str
    topics: tuple[str, ...] = ("t",)
    tables: tuple[str, ...] = ()


A, B, C = Named("a"), Named("b"), Named("c")


def test_without_an_order_each_projection_is_its_own_stage_in_spec_order() -> None:
    assert replay.stages([A, B, C]) == [[A], [B], [C]]


def test_an_order_groups_the_projections_it_names() -> None:
    assert replay.stages([A, B, C], [("c",), ("a", "b")]) == [[C], [A, B]]


@pytest.mark.parametrize("order", [[("a", "b")], [("a", "b", "c", "d")], [("a", "b"), ("b", "c")]])
def test_an_order_must_name_every_projection_once(order: list[tuple[str, ...]]) -> None:
    with pytest.raises(ValueError, match="must name each"):
        replay.stages([A, B, C], order)


async def test_stages_run_in_turn_and_the_projections_of_one_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log: list[str] = []

    async def rebuild(projection: Named, *_: Any) -> int:
        log.append(f"start {projection.name}")
        await asyncio.sleep(0.01)
        log.append(f"end {projection.name}")
        return len(projection.name)

    monkeypatch.setattr(replay, "rebuild", rebuild)
    done = await replay.rebuild_all([[A], [B, C]], None, "", {})  # type: ignore[arg-type,list-item]
    assert log == ["start a", "end a", "start b", "start c", "end b", "end c"]
    assert {name: r.records for name, r in done.items()} == {"a": 1, "b": 1, "c": 1}
    assert all(r.seconds > 0 for r in done.values())


async def test_a_failed_rebuild_raises_itself_and_stops_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stopped: list[str] = []

    async def rebuild(projection: Named, *_: Any) -> int:
        if projection.name == "a":
            raise LookupError("topic gone")
        try:
            await asyncio.sleep(10)
        finally:
            stopped.append(projection.name)
        return 0

    monkeypatch.setattr(replay, "rebuild", rebuild)
    with pytest.raises(LookupError, match="topic gone"):
        await replay.rebuild_all([[A, B], [C]], None, "", {})  # type: ignore[arg-type,list-item]
    assert stopped == ["b"]  # and the next stage never started
