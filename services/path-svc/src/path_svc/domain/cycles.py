"""Every prerequisite cycle of a graph, not only the first one found.

A framework author fixing a bad package wants the whole list at once: each
strongly connected component with more than one node (or a self-loop) is a
knot of cycles, and one closed walk through it names it. Tarjan's algorithm,
iterative so a deep real graph cannot exhaust the stack.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def every_cycle(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One cycle per knot, first code repeated last, in a stable order."""
    graph = {node: sorted(set(targets)) for node, targets in edges.items()}
    for targets in list(graph.values()):
        for target in targets:
            graph.setdefault(target, [])
    cycles = [_walk(graph, set(knot)) for knot in _components(graph)]
    return sorted(c for c in cycles if c)


def _components(graph: Mapping[str, list[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            nxt = next(targets, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                knot: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    knot.append(member)
                    if member == node:
                        break
                if len(knot) > 1 or node in graph[node]:
                    out.append(knot)
    return out


def _walk(graph: Mapping[str, list[str]], knot: set[str]) -> list[str]:
    """A shortest closed walk from the knot's smallest node back to itself (BFS)."""
    start = min(knot)
    came: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in graph[node]:
                if nxt not in knot:
                    continue
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if nxt not in came:
                    came[nxt] = node
                    following.append(nxt)
        frontier = following
    return []
