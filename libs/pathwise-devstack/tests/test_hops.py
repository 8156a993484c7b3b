"""The bench's hop table: one trace's spans read as the gaps between the stages."""

from __future__ import annotations

from typing import Any

import pytest

from pathwise_devstack import hops

MS = 1_000_000


def _span(service: str, name: str, start: int, end: int, **extra: Any) -> dict[str, Any]:
    return {
        "trace_id": extra.pop("trace", "t1"),
        "service": service,
        "name": name,
        "kind": extra.pop("kind", "consumer"),
        "start_ns": start * MS,
        "end_ns": end * MS,
        "attributes": extra,
    }


def _trace(trace: str = "t1", send: bool = True) -> list[dict[str, Any]]:
    ts = "pathwise.kafka.timestamp_ms"
    spans = [
        _span("assessment-svc", "POST /v1/assessments", 1000, 1010, kind="server", trace=trace),
        _span("assessment-svc", "intake process", 1030, 1035, trace=trace, **{ts: 1020}),
        _span("assessment-svc", "assessments process", 1031, 1036, trace=trace),
        _span("path-svc", "learning process", 1100, 1140, trace=trace, **{ts: 1060}),
        _span("notify-svc", "planning process", 1150, 1160, trace=trace, **{ts: 1145}),
    ]
    if send:
        spans.append(_span("notify-svc", "email send", 1260, 1270, kind="client", trace=trace))
    return spans


@pytest.mark.unit
def test_each_hop_is_the_gap_between_one_stage_and_the_next() -> None:
    [one] = hops.per_trace(_trace())
    assert one == {
        "http": 10,
        "relay -> intake": 10,
        "wait intake": 10,
        "apply intake": 5,
        "relay -> learning": 25,
        "wait learning": 40,
        "apply learning": 40,
        "relay -> planning": 5,
        "wait planning": 5,
        "apply planning": 10,
        "send wait": 100,
        "smtp": 10,
    }
    assert sum(one.values()) == 1270 - 1000  # the hops add up to ingest -> email


@pytest.mark.unit
def test_a_trace_without_an_email_is_left_out_and_hops_summarise_in_order() -> None:
    traced = hops.per_trace(_trace("a") + _trace("b", send=False))
    assert len(traced) == 1
    summary = hops.summary(traced)
    assert list(summary) == list(hops.HOPS)
    assert summary["send wait"] == {"p50_ms": 100.0, "p99_ms": 100.0}
