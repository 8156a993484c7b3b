"""The mastery map: the competency framework's prerequisite graph, coloured by level.

Competencies are laid out in columns by prerequisite depth (a competency with
no prerequisites is in column 0, otherwise one column right of its deepest
prerequisite), so every edge points to the right. Within a column, nodes are
ordered by the mean row of their prerequisites (one barycentre pass), which
keeps most edges short and uncrossed. Colour is never the only cue: each node
also prints its level in words, has a ``<title>``, and the page carries the
same information as a list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from portal.levels import Level

NODE_W, NODE_H = 132, 46
GAP_X, GAP_Y = 48, 14
MARGIN = 12

FILL: Mapping[Level, str] = {
    "not_started": "#f2f2f2",
    "familiar": "#fde2b3",
    "proficient": "#bfdcf5",
    "mastered": "#b7e4c7",
}
"""Light fills with near-black text (contrast well above 4.5:1 on every fill)."""


@dataclass(frozen=True, slots=True)
class Competency:
    code: str
    description: str
    prerequisites: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Node:
    code: str
    column: int
    row: int
    x: int
    y: int


@dataclass(frozen=True, slots=True)
class Layout:
    nodes: dict[str, Node]
    edges: list[tuple[str, str]]
    width: int
    height: int


def depths(competencies: Sequence[Competency]) -> dict[str, int]:
    """Longest prerequisite chain below each competency (unknown prerequisites ignored)."""
    prereqs = {c.code: [p for p in c.prerequisites] for c in competencies}
    known = set(prereqs)
    out: dict[str, int] = {}

    def depth(code: str, seen: frozenset[str]) -> int:
        if code in out:
            return out[code]
        if code in seen:
            raise ValueError(f"prerequisite cycle through {code}")
        below = [depth(p, seen | {code}) for p in prereqs[code] if p in known]
        out[code] = 1 + max(below) if below else 0
        return out[code]

    for code in prereqs:
        depth(code, frozenset())
    return out


def layout(competencies: Sequence[Competency]) -> Layout:
    """Columns by depth, rows by the barycentre of prerequisites, pixel positions."""
    column = depths(competencies)
    order = {c.code: i for i, c in enumerate(competencies)}
    by_column: dict[int, list[str]] = {}
    for c in competencies:
        by_column.setdefault(column[c.code], []).append(c.code)
    row: dict[str, int] = {}
    prereqs = {c.code: c.prerequisites for c in competencies}
    for col in sorted(by_column):
        codes = by_column[col]

        def centre(code: str) -> float:
            placed = [row[p] for p in prereqs[code] if p in row]
            return sum(placed) / len(placed) if placed else float(order[code])

        codes.sort(key=lambda code: (centre(code), order[code]))
        for i, code in enumerate(codes):
            row[code] = i
    nodes = {
        code: Node(
            code=code,
            column=column[code],
            row=row[code],
            x=MARGIN + column[code] * (NODE_W + GAP_X),
            y=MARGIN + row[code] * (NODE_H + GAP_Y),
        )
        for code in row
    }
    edges = [(p, c.code) for c in competencies for p in c.prerequisites if p in nodes]
    columns = max(column.values(), default=-1) + 1
    rows = max((len(v) for v in by_column.values()), default=0)
    return Layout(
        nodes=nodes,
        edges=edges,
        width=2 * MARGIN + columns * NODE_W + max(columns - 1, 0) * GAP_X,
        height=2 * MARGIN + rows * NODE_H + max(rows - 1, 0) * GAP_Y,
    )


def render(
    competencies: Sequence[Competency],
    levels: Mapping[str, Level],
    *,
    labels: Mapping[Level, str],
    title: str,
    description: str,
    on_path: frozenset[str] = frozenset(),
    svg_id: str = "mastery-map",
) -> Markup:
    """The map as inline SVG; ``labels`` names each level in the reader's language."""
    lay = layout(competencies)
    described = {c.code: c.description for c in competencies}
    parts = [
        f'<svg id="{escape(svg_id)}" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {lay.width} {lay.height}" width="{lay.width}" height="{lay.height}" '
        f'aria-labelledby="{escape(svg_id)}-title {escape(svg_id)}-desc">',
        f'<title id="{escape(svg_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(svg_id)}-desc">{escape(description)}</desc>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#4d4d4d"/></marker></defs>',
        '<g class="edges" stroke="#4d4d4d" stroke-width="1.2" fill="none">',
    ]
    for source, target in lay.edges:
        a, b = lay.nodes[source], lay.nodes[target]
        x1, y1 = a.x + NODE_W, a.y + NODE_H // 2
        x2, y2 = b.x, b.y + NODE_H // 2
        mid = (x1 + x2) // 2
        parts.append(
            f'<path d="M {x1} {y1} C {mid} {y1}, {mid} {y2}, {x2} {y2}" marker-end="url(#arrow)"/>'
        )
    parts.append("</g>")
    for code, node in lay.nodes.items():
        lvl = levels.get(code, "not_started")
        current = code in on_path
        stroke = ' stroke="#1a1a1a" stroke-width="3"' if current else ' stroke="#595959"'
        tip = f"{code}: {labels[lvl]}. {described[code]}"
        parts.append(
            f'<g class="node level-{lvl}" data-code="{escape(code)}" data-level="{lvl}">'
            f"<title>{escape(tip)}</title>"
            f'<rect x="{node.x}" y="{node.y}" width="{NODE_W}" height="{NODE_H}" rx="6" '
            f'fill="{FILL[lvl]}"{stroke}/>'
            f'<text x="{node.x + 8}" y="{node.y + 19}" font-size="13" font-weight="bold" '
            f'fill="#1a1a1a">{escape(code)}{" ★" if current else ""}</text>'
            f'<text x="{node.x + 8}" y="{node.y + 37}" font-size="12" fill="#1a1a1a">'
            f"{escape(labels[lvl])}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
