"""Replay's stages: which projections are rebuilt together, and in what order."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from types import SimpleNamespace
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


async def test_stages_run_in_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[str] = []

    async def stage(group: list[Named], *_: Any) -> dict[str, replay.Rebuilt]:
        log.append("start " + "".join(p.name for p in group))
        await asyncio.sleep(0.01)
        log.append("end " + "".join(p.name for p in group))
        return {p.name: replay.Rebuilt(1, 0.01) for p in group}

    monkeypatch.setattr(replay, "_rebuild_stage", stage)
    done = await replay.rebuild_all([[A], [B, C]], None, "", {})  # type: ignore[arg-type,list-item]
    assert log == ["start a", "end a", "start bc", "end bc"]
    assert set(done) == {"a", "b", "c"}


def _record(value: bytes, offset: int = 7) -> Any:
    return SimpleNamespace(topic="t", partition=0, offset=offset, value=value)


def test_a_record_several_projections_read_is_decoded_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[bytes] = []
    monkeypatch.setattr(replay.Envelope, "parse", lambda value: calls.append(value) or value)
    parse = replay.SharedParse()
    shared, alone = _record(b"shared"), _record(b"alone", offset=8)
    parse.expect(shared, 2)
    parse.expect(alone, 1)
    assert parse(shared) == parse(shared) == b"shared"
    assert calls == [b"shared"]
    assert parse(shared) == b"shared"  # forgotten after its last reader: decoded again
    assert parse(alone) == b"alone"
    assert calls == [b"shared", b"shared", b"alone"]
