"""The family's progress chart: competencies mastered over time, as a small step chart.

The date of each mastered competency is when path-svc saw it mastered (the
evidence that took it over the threshold); the chart counts them
cumulatively per day. The SVG has
a ``<title>`` and ``<desc>``, and the page shows the same points as a table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT = 480, 200
LEFT, RIGHT, TOP, BOTTOM = 40, 16, 16, 36


@dataclass(frozen=True, slots=True)
class Point:
    day: date
    total: int


def cumulative(days: Iterable[date]) -> list[Point]:
    """One point per day on which something was mastered: the running total."""
    counts: dict[date, int] = {}
    for d in days:
        counts[d] = counts.get(d, 0) + 1
    total, out = 0, []
    for d in sorted(counts):
        total += counts[d]
        out.append(Point(d, total))
    return out


def render(points: list[Point], *, title: str, description: str, axis: str) -> Markup:
    """A step line from the first to the last day (``axis`` labels the vertical axis)."""
    head = (
        f'<svg id="progress-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        'aria-labelledby="progress-chart-title progress-chart-desc">'
        f'<title id="progress-chart-title">{escape(title)}</title>'
        f'<desc id="progress-chart-desc">{escape(description)}</desc>'
    )
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = max((p.total for p in points), default=0) or 1
    axes = (
        f'<g stroke="#1a1a1a" stroke-width="1"><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" '
        f'y2="{TOP + plot_h}"/><line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" '
        f'y2="{TOP + plot_h}"/></g>'
        f'<text x="{LEFT - 6}" y="{TOP + 4}" font-size="12" text-anchor="end" '
        f'fill="#1a1a1a">{top}</text>'
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" font-size="12" text-anchor="end" '
        f'fill="#1a1a1a">0</text>'
        f'<text x="{LEFT + 4}" y="{TOP + 12}" font-size="12" fill="#1a1a1a">'
        f"{escape(axis)}</text>"
    )
    if not points:
        return Markup(head + axes + "</svg>")
    first, last = points[0].day, points[-1].day
    span = max((last - first).days, 1)

    def x(d: date) -> float:
        return LEFT + plot_w * ((d - first).days / span if last != first else 0.5)

    def y(total: int) -> float:
        return TOP + plot_h - plot_h * total / top

    steps = [f"M {LEFT:.1f} {y(0):.1f}"]
    for p in points:
        steps.append(f"H {x(p.day):.1f} V {y(p.total):.1f}")
    steps.append(f"H {LEFT + plot_w:.1f}")
    dots = "".join(
        f'<circle cx="{x(p.day):.1f}" cy="{y(p.total):.1f}" r="3.5" fill="#0b5394">'
        f"<title>{escape(p.day.isoformat())}: {p.total}</title></circle>"
        for p in points
    )
    labels = (
        f'<text x="{LEFT}" y="{HEIGHT - 12}" font-size="12" fill="#1a1a1a">'
        f"{escape(first.isoformat())}</text>"
        f'<text x="{LEFT + plot_w}" y="{HEIGHT - 12}" font-size="12" text-anchor="end" '
        f'fill="#1a1a1a">{escape(last.isoformat())}</text>'
    )
    line = f'<path d="{" ".join(steps)}" fill="none" stroke="#0b5394" stroke-width="2.5"/>'
    return Markup(head + axes + line + dots + labels + "</svg>")
