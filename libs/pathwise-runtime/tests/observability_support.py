"""Helpers for the observability tests: captured spans and parsed metrics."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from pathwise_runtime import telemetry

_captured = InMemorySpanExporter()
_attached: set[int] = set()


def capture_spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """For a fixture: spans the process's tracer provider finishes, as if exported.

    The global provider can be set once per process; whichever it is (one a
    service's lifespan installed, or ours), the capture is attached to it.
    """
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    if id(provider) not in _attached:
        provider.add_span_processor(SimpleSpanProcessor(_captured))
        _attached.add(id(provider))
    monkeypatch.setattr(telemetry, "_exporting", True)
    _captured.clear()
    yield _captured
    _captured.clear()


def by_name(finished: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [s for s in finished if s.name == name]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Exposition text as {(sample name, sorted labels): value}."""
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    """The value of the one sample whose labels include ``labels`` (0 when absent)."""
    matches = [v for (n, ls), v in found.items() if n == name and set(labels.items()) <= set(ls)]
    assert len(matches) <= 1, f"{name}{labels} is ambiguous: {matches}"
    return matches[0] if matches else 0.0
