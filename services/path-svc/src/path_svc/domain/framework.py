"""The competency graph a learning path is planned over.

A framework is data (a JSON file bundled with the service), validated once on
load: every prerequisite must be a known competency and the prerequisite graph
must be acyclic, otherwise the planner could never offer some competencies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from path_svc.domain.mastery import BktParams


class FrameworkError(ValueError):
    """The framework data is inconsistent (unknown prerequisite, duplicate, cycle)."""


class CycleError(FrameworkError):
    """The prerequisite graph has a cycle; ``cycle`` lists it, first code repeated last."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__(f"prerequisite cycle: {' -> '.join(cycle)}")
        self.cycle = cycle


@dataclass(frozen=True, slots=True)
class Competency:
    """One standard: its code, what it means, and what must be mastered first."""

    code: str
    description: str
    prerequisites: tuple[str, ...] = ()
    params: BktParams = field(default_factory=BktParams)
    # The description in other languages, (language tag, text); ``description`` is English.
    descriptions: tuple[tuple[str, str], ...] = ()
    # The grade it belongs to ("K", "3"), when the framework says (CASE educationLevel).
    grade: str | None = None


class Framework:
    """A validated, immutable set of competencies with their prerequisite edges."""

    def __init__(
        self,
        name: str,
        competencies: Iterable[Competency],
        title: str = "",
        version: str = "1",
        titles: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.title = title or name
        self.titles = dict(titles or {})  # the title in other languages
        self.version = version
        by_code: dict[str, Competency] = {}
        for competency in competencies:
            if competency.code in by_code:
                raise FrameworkError(f"competency {competency.code!r} is defined twice")
            by_code[competency.code] = competency
        for competency in by_code.values():
            for prerequisite in competency.prerequisites:
                if prerequisite not in by_code:
                    raise FrameworkError(
                        f"{competency.code} requires unknown competency {prerequisite!r}"
                    )
        cycle = _find_cycle({c.code: c.prerequisites for c in by_code.values()})
        if cycle:
            raise CycleError(cycle)
        self._by_code = by_code
        self._competencies = _prerequisites_first(list(by_code.values()))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Framework:
        return cls(
            str(data["name"]),
            (
                Competency(
                    code=str(item["code"]),
                    description=str(item["description"]),
                    prerequisites=tuple(item.get("prerequisites", ())),
                    params=BktParams(**item.get("bkt", {})),
                    descriptions=tuple(sorted(dict(item.get("descriptions", {})).items())),
                    grade=item.get("grade"),
                )
                for item in data["competencies"]
            ),
            title=str(data.get("title", "")),
            version=str(data.get("version", "1")),
            titles=dict(data.get("titles", {})),
        )

    def with_params(self, table: Mapping[str, Any]) -> Framework:
        """The same framework with BKT parameters from a ``pathwise mastery fit`` file."""
        default = BktParams(**table["default"])
        skills = table.get("skills", {})
        return Framework(
            self.name,
            (
                replace(c, params=BktParams(**skills[c.code]) if c.code in skills else default)
                for c in self._competencies
            ),
            title=self.title,
            version=self.version,
            titles=self.titles,
        )

    @property
    def competencies(self) -> tuple[Competency, ...]:
        """All competencies, prerequisites first, otherwise in the order listed."""
        return self._competencies

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __getitem__(self, code: str) -> Competency:
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"competency {code!r} is not in framework {self.name!r}") from None

    def prerequisites(self, code: str) -> tuple[str, ...]:
        """The competencies that must be mastered before ``code`` is offered."""
        return self[code].prerequisites


def _find_cycle(edges: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle in the graph as a closed walk of codes, or None (iterative DFS)."""
    done: set[str] = set()
    for start in edges:
        if start in done:
            continue
        path: list[str] = [start]
        on_path = {start}
        stack = [iter(edges[start])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                done.add(path[-1])
                on_path.discard(path.pop())
                continue
            if nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in done:
                path.append(nxt)
                on_path.add(nxt)
                stack.append(iter(edges[nxt]))
    return None


def _prerequisites_first(competencies: list[Competency]) -> tuple[Competency, ...]:
    """A stable topological order: each competency after its prerequisites, and
    otherwise as listed, so a learner or a client can walk it front to back."""
    placed: set[str] = set()
    order: list[Competency] = []
    waiting = competencies
    while waiting:
        later: list[Competency] = []
        for c in waiting:
            if all(p in placed for p in c.prerequisites):
                order.append(c)
                placed.add(c.code)
            else:
                later.append(c)
        waiting = later
    return tuple(order)
