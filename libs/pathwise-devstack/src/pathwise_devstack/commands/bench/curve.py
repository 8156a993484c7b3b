"""The latency-throughput curve of `pathwise bench`: end to end at several rates, the
highest sustainable rate, and a chart of it beside the JSON results.

A rate is sustainable when the platform took at least 95% of the results asked of
it per second and, once the load stopped, caught up within ``DRAIN_LIMIT_S`` (so
its queues stayed bounded instead of growing for as long as the load lasted).
Between the highest sustainable rate measured and the lowest that was not, a few
more runs halve the gap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

DEFAULT_RATES = (50.0, 200.0, 500.0, 1000.0)
ACHIEVED_SHARE = 0.95
DRAIN_LIMIT_S = 10.0
REFINE_STEPS = 2


def sustainable(run: Mapping[str, Any]) -> bool:
    asked, achieved = run["rate_target_per_s"], run.get("rate_achieved_per_s") or 0.0
    return bool(
        achieved >= ACHIEVED_SHARE * asked
        and run["results_not_posted"] == 0
        and run["drain_s"] <= DRAIN_LIMIT_S
    )


def next_rate(runs: Sequence[Mapping[str, Any]], planned: int) -> float | None:
    """The next rate to try between the best sustainable and the worst-off run, if any."""
    extra = len(runs) - planned
    if extra >= REFINE_STEPS:
        return None
    good = [r["rate_target_per_s"] for r in runs if sustainable(r)]
    bad = [r["rate_target_per_s"] for r in runs if not sustainable(r)]
    if not bad:
        return None  # sustained everything asked
    low = max(good, default=0.0)
    above = [b for b in bad if b > low]
    if not above:
        return None
    middle = round((low + min(above)) / 2)
    high = min(above)
    return float(middle) if low < middle < high else None


def summary(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    ordered = [
        {**r, "sustained": sustainable(r)}
        for r in sorted(runs, key=lambda r: r["rate_target_per_s"])
    ]
    good = [r for r in ordered if sustainable(r)]
    best = good[-1] if good else None
    return {
        "runs": ordered,
        "max_sustainable_per_s": best["rate_target_per_s"] if best else None,
        "p99_ms_at_max_sustainable": best["p99_ms"] if best else None,
        "rule": f"achieved >= {ACHIEVED_SHARE:.0%} of asked, all posted, caught up within "
        f"{DRAIN_LIMIT_S:g} s of the load stopping",
    }


def write_chart(curve: Mapping[str, Any], out: Path, target_p99_ms: float) -> Path:
    """An SVG of latency (p50, p99; log scale) against the rate achieved."""
    runs = [r for r in curve["runs"] if r.get("p99_ms") is not None]
    path = out.with_suffix(".svg")
    path.write_text(_svg(runs, target_p99_ms, curve.get("max_sustainable_per_s")))
    return path


_W, _H, _L, _R, _T, _B = 640, 400, 70, 20, 30, 50


def _svg(runs: Sequence[Mapping[str, Any]], target: float, best: float | None) -> str:
    import math

    xs = [r["rate_achieved_per_s"] or 0.0 for r in runs] or [1.0]
    values = [v for r in runs for v in (r["p50_ms"], r["p99_ms"]) if v] + [target]
    x_max = max(max(xs), 1.0) * 1.1
    lo, hi = math.log10(max(min(values), 1.0)) - 0.2, math.log10(max(values)) + 0.2

    def x(v: float) -> float:
        return _L + (_W - _L - _R) * v / x_max

    def y(v: float) -> float:
        return _T + (_H - _T - _B) * (hi - math.log10(max(v, 1.0))) / (hi - lo)

    def line(key: str, colour: str) -> str:
        pts = " ".join(f"{x(r['rate_achieved_per_s'] or 0):.1f},{y(r[key]):.1f}" for r in runs)
        dots = "".join(
            f'<circle cx="{x(r["rate_achieved_per_s"] or 0):.1f}" cy="{y(r[key]):.1f}" r="3" '
            f'fill="{colour}"><title>asked {r["rate_target_per_s"]:g}/s: {key} '
            f"{r[key]} ms</title></circle>"
            for r in runs
        )
        return f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>{dots}'

    ticks = "".join(
        f'<line x1="{_L}" x2="{_W - _R}" y1="{y(10**e):.1f}" y2="{y(10**e):.1f}" stroke="#ddd"/>'
        f'<text x="{_L - 6}" y="{y(10**e) + 4:.1f}" text-anchor="end">{10**e:,} ms</text>'
        for e in range(math.ceil(lo), math.floor(hi) + 1)
    )
    xticks = "".join(
        f'<text x="{x(r["rate_achieved_per_s"] or 0):.1f}" y="{_H - _B + 18}" '
        f'text-anchor="middle">{r["rate_achieved_per_s"]:g}</text>'
        for r in runs
    )
    note = f"max sustainable: {best:g} results/s" if best else "no rate sustained"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'font-family="sans-serif" font-size="12">'
        f'<rect width="{_W}" height="{_H}" fill="white"/>{ticks}{xticks}'
        f'<line x1="{_L}" x2="{_W - _R}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
        f'stroke="#c00" stroke-dasharray="4 3"/>'
        f'<text x="{_W - _R}" y="{y(target) - 4:.1f}" text-anchor="end" fill="#c00">'
        f"target p99 {target:g} ms</text>"
        f"{line('p50_ms', '#1f77b4')}{line('p99_ms', '#ff7f0e')}"
        f'<text x="{_L}" y="18">ingest → email latency (p50 blue, p99 orange) by rate; {note}'
        f"</text>"
        f'<text x="{(_W + _L) / 2:.0f}" y="{_H - 12}" text-anchor="middle">'
        f"results/s achieved</text></svg>\n"
    )
