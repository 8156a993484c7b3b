"""What a student's evidence means under a district's new framework, and why the path changed.

A curriculum office that splits or renames a standard says so with CASE
associations; a student's work must not be lost on the way. ``exactMatchOf``
and ``replacedBy`` carry the estimate (and its attempts) to the new code;
``isRelatedTo`` only seeds a weaker prior (part of the way from the new
code's own prior); a code kept under the same name keeps its estimate.
Estimates of codes the new framework neither keeps nor links stay as
history: visible, not planned. Pure functions of the two frameworks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from path_svc.domain.framework import Framework
from path_svc.domain.package import Link
from path_svc.domain.planner import Standing

RELATED_WEIGHT = 0.5
"""How much of an ``isRelatedTo`` estimate's distance from the prior is carried."""
SHOWN = 6
"""Codes named per list in a reason; the rest are counted."""


@dataclass(frozen=True, slots=True)
class Carried:
    estimates: dict[str, Standing]
    """The old estimates (as history) plus those carried to new codes."""
    history: tuple[str, ...]
    """Codes with evidence that the new framework does not plan."""


def carry(estimates: Mapping[str, Standing], new: Framework, links: Iterable[Link] = ()) -> Carried:
    """The estimates the planner starts from under ``new`` (see the module doc)."""
    strong: dict[str, list[Standing]] = {}
    weak: dict[str, list[Standing]] = {}
    linked: set[str] = set()
    for link in links:
        source = estimates.get(link.previous)
        if link.code not in new or source is None:
            continue
        linked.add(link.previous)
        (weak if link.kind == "isRelatedTo" else strong).setdefault(link.code, []).append(source)
    out = dict(estimates)
    for code in sorted(set(strong) | set(weak)):
        if code in estimates:
            continue  # the code's own evidence wins over any association
        if code in strong:
            out[code] = max(strong[code], key=lambda s: (s.attempts, s.p))
        else:
            prior = new[code].params.p_init
            best = max(s.p for s in weak[code])
            out[code] = Standing(prior + RELATED_WEIGHT * (best - prior), 0)
    history = tuple(sorted(c for c in estimates if c not in new and c not in linked))
    return Carried(out, history)


def translate(codes: Sequence[str], new: Framework, links: Iterable[Link] = ()) -> list[str]:
    """Codes (a student's goals) under ``new``: kept, or followed to what
    ``exactMatchOf``/``replacedBy`` name instead; dropped when neither, order kept."""
    into: dict[str, list[str]] = {}
    for link in links:
        if link.kind != "isRelatedTo" and link.code in new:
            into.setdefault(link.previous, []).append(link.code)
    out: list[str] = []
    for code in codes:
        for now in [code] if code in new else sorted(into.get(code, [])):
            if now not in out:
                out.append(now)
    return out


def reason(old: Framework, new: Framework, links: Sequence[Link] = ()) -> str:
    """``framework changed: 3.OA.A.1 replaced by 3.OA.A.1a, 3.OA.A.1b; ...`` (no personal data)."""
    replaced: dict[str, list[str]] = {}
    related: dict[str, list[str]] = {}
    for link in links:
        if link.code == link.previous:
            continue
        into = related if link.kind == "isRelatedTo" else replaced
        into.setdefault(link.previous, []).append(link.code)
    before = {c.code for c in old.competencies}
    after = {c.code for c in new.competencies}
    linked_old = {x.previous for x in links}
    linked_new = {x.code for x in links}
    parts = [f"{o} replaced by {', '.join(sorted(n))}" for o, n in sorted(replaced.items())]
    parts += [f"{o} related to {', '.join(sorted(n))}" for o, n in sorted(related.items())]
    added = sorted(after - before - linked_new)
    removed = sorted(before - after - linked_old)
    if added:
        parts.append(f"added {_some(added)}")
    if removed:
        parts.append(f"removed {_some(removed)}")
    was = "" if new.name == old.name else f" (was {old.title})"
    what = "; ".join(parts) or "same competencies"
    return f"framework changed to {new.title} version {new.version}{was}: {what}"


def _some(codes: list[str]) -> str:
    shown = ", ".join(codes[:SHOWN])
    return shown if len(codes) <= SHOWN else f"{shown} and {len(codes) - SHOWN} more"
