"""Where the time goes between a result's HTTP request and the family's email.

Every result is one trace (HTTP -> assessment-svc record -> path-svc record ->
notify-svc record -> email send), and each record's span carries the time its
producer published it to Kafka. From the spans of traces that reached an email,
each hop's duration is the gap between one stage and the next:

    http             the POST, until the result is committed with its outbox row
    relay -> S       the stage before committed -> its relay published to Kafka
                     (-> intake: assessment-svc's ResultSubmitted; -> learning: its
                     AssessmentRecorded; -> planning: path-svc's path events)
    wait S           published -> stage S's projector starts the batch holding it
    apply S          S's batch, until its transaction commits
    send wait        notify-svc committed the plan -> the sender picks it up
    smtp             handing the email to the server
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pathwise_devstack.simulation import percentile

# (stage, service, span name) in the order a result travels.
STAGES = (
    ("intake", "assessment-svc", "intake process"),
    ("learning", "path-svc", "learning process"),
    ("planning", "notify-svc", "planning process"),
)
HOPS = (
    "http",
    *(f"{kind} {stage}" for stage, _, _ in STAGES for kind in ("relay ->", "wait", "apply")),
    "send wait",
    "smtp",
)


def per_trace(
    spans: Iterable[Mapping[str, Any]], *, posted_between: tuple[int, int] | None = None
) -> list[dict[str, float]]:
    """Each complete trace's hops in milliseconds (traces without an email are left out),
    of the results whose POST started within ``posted_between`` (ns) if given."""
    traces: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for span in spans:
        traces[span["trace_id"]].append(span)
    return [
        hops
        for trace in traces.values()
        if (posted_between is None or _posted_within(trace, posted_between))
        and (hops := _hops(trace)) is not None
    ]


def _posted_within(trace: Sequence[Mapping[str, Any]], window: tuple[int, int]) -> bool:
    starts = [s["start_ns"] for s in trace if s["kind"] == "server"]
    return bool(starts) and window[0] <= min(starts) <= window[1]


def summary(traces: Sequence[Mapping[str, float]]) -> dict[str, dict[str, float | None]]:
    """p50/p99 of every hop, in the order a result travels."""
    return {
        hop: {
            "p50_ms": percentile(sorted(t[hop] for t in traces if hop in t), 50),
            "p99_ms": percentile(sorted(t[hop] for t in traces if hop in t), 99),
        }
        for hop in HOPS
    }


def _first(trace: Sequence[Mapping[str, Any]], service: str, name: str) -> Mapping[str, Any] | None:
    found = [s for s in trace if s["service"] == service and s["name"] == name]
    return min(found, key=lambda s: s["start_ns"]) if found else None


def _hops(trace: Sequence[Mapping[str, Any]]) -> dict[str, float] | None:
    posts = [s for s in trace if s["service"] == "assessment-svc" and s["kind"] == "server"]
    send = _first(trace, "notify-svc", "email send")
    stages = [_first(trace, service, name) for _, service, name in STAGES]
    if not posts or send is None or any(s is None for s in stages):
        return None
    post = min(posts, key=lambda s: s["start_ns"])
    out = {"http": _ms(post["end_ns"] - post["start_ns"])}
    previous_end = post["end_ns"]
    for (name, _, _), stage in zip(STAGES, stages, strict=True):
        assert stage is not None
        published = stage["attributes"].get("pathwise.kafka.timestamp_ms")
        if published is not None:
            published_ns = int(published) * 1_000_000
            out[f"relay -> {name}"] = _ms(published_ns - previous_end)
            out[f"wait {name}"] = _ms(stage["start_ns"] - published_ns)
        out[f"apply {name}"] = _ms(stage["end_ns"] - stage["start_ns"])
        previous_end = stage["end_ns"]
    out["send wait"] = _ms(send["start_ns"] - previous_end)
    out["smtp"] = _ms(send["end_ns"] - send["start_ns"])
    return out


def _ms(ns: int) -> float:
    # Clocks of one machine; a hop shorter than the clocks' resolution reads as 0.
    return max(0.0, ns / 1_000_000)
