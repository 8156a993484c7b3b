"""A CASE package checked whole before it may become a district's framework.

``case.from_case`` stops at the first inconsistency, which is right for a
bundled file but not for a curriculum office fixing a package: here every
duplicate code, every association naming an item that is not there and
every prerequisite cycle is collected, so one answer lists them all. A
package that passes is read into a ``Framework`` plus its ``Link`` s, the
CASE associations (``exactMatchOf``, ``replacedBy``, ``isRelatedTo``) that
say how its codes relate to the framework the district planned over before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from path_svc.domain.case import AFTER, BEFORE, digest, from_case
from path_svc.domain.framework import Framework, FrameworkError
from path_svc.domain.graph import cycles

CARRYING = frozenset({"exactMatchOf", "replacedBy", "isRelatedTo"})


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a package; ``kind`` is cycle, dangling, duplicate or malformed."""

    kind: str
    detail: str
    codes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "detail": self.detail, "codes": list(self.codes)}


class PackageError(FrameworkError):
    """The package has problems; ``problems`` lists every one of them."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.detail for p in problems))
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Link:
    """A code of the new framework and how it relates to a code known before."""

    kind: str  # exactMatchOf | replacedBy | isRelatedTo
    code: str
    previous: str


@dataclass(frozen=True, slots=True)
class Package:
    framework: Framework
    links: tuple[Link, ...] = ()

    @property
    def digest(self) -> str:
        """Identity of this version: name, version, content and links.

        Equal packages have equal digests (a re-post is the same fact); a new
        version of the same content is a new one, which the district moves to."""
        f = self.framework
        links = "".join(
            f"|{x.kind}:{x.code}:{x.previous}"
            for x in sorted(self.links, key=lambda x: (x.code, x.kind, x.previous))
        )
        text = f"{f.name}|{f.version}|{digest(f)}{links}"
        return hashlib.sha256(text.encode()).hexdigest()


def read(package: Any, name: str, previous: Framework | None = None) -> Package:
    """The package as a framework and links, or PackageError listing every problem.

    ``previous`` holds the codes the district has planned over (the default's
    and every published one's): the other end of a carrying association must
    be one of them (or of the package's).
    """
    if not isinstance(package, Mapping) or not isinstance(package.get("CFDocument"), Mapping):
        raise PackageError([Problem("malformed", "not a CASE package: no CFDocument")])
    problems: list[Problem] = []
    items = _items(package, problems)
    associations = [a for a in package.get("CFAssociations") or [] if isinstance(a, Mapping)]
    structure = {str(package["CFDocument"].get("identifier")), *items}
    parents = set()
    edges: dict[str, list[str]] = {}
    carrying: list[tuple[str, Mapping[str, Any], Mapping[str, Any]]] = []
    for a in associations:
        kind = str(a.get("associationType"))
        origin, destination = a.get("originNodeURI"), a.get("destinationNodeURI")
        if not isinstance(origin, Mapping) or not isinstance(destination, Mapping):
            problems.append(
                Problem("malformed", f"association {a.get('identifier')!r} lacks a node")
            )
            continue
        ends = str(origin.get("identifier")), str(destination.get("identifier"))
        if kind in CARRYING:
            carrying.append((kind, origin, destination))
            continue
        if kind == "isChildOf":
            parents.add(ends[1])
        elif kind not in BEFORE | AFTER:
            continue
        allowed = structure if kind == "isChildOf" else items
        for end in ends:
            if end not in allowed:
                problems.append(_dangling(kind, end, a))
        if kind in BEFORE | AFTER and all(e in items for e in ends):
            first, then = ends if kind in BEFORE else ends[::-1]
            edges.setdefault(then, []).append(first)
    codes = _codes(items, parents, problems)
    for leaf, needs in edges.items():
        for need in needs:
            if leaf in codes and need not in codes:
                problems.append(
                    Problem(
                        "dangling",
                        f"{codes[leaf]} requires {_code(items, need)!r}, which is not a competency",
                        (codes[leaf],),
                    )
                )
    graph = {codes[i]: [codes[p] for p in edges.get(i, []) if p in codes] for i in codes}
    problems += [
        Problem("cycle", f"prerequisite cycle: {' -> '.join(c)}", tuple(c)) for c in cycles(graph)
    ]
    known = {c.code for c in previous.competencies} if previous is not None else set()
    known |= set(codes.values())
    links = _links(carrying, set(codes.values()), known, problems)
    if problems:
        raise PackageError(problems)
    try:
        framework = from_case(package, name)
    except FrameworkError as error:  # anything the checks above did not foresee
        raise PackageError([Problem("malformed", str(error))]) from None
    return Package(framework, tuple(links))


def _items(package: Mapping[str, Any], problems: list[Problem]) -> dict[str, Mapping[str, Any]]:
    items: dict[str, Mapping[str, Any]] = {}
    for item in package.get("CFItems") or []:
        if not isinstance(item, Mapping) or "identifier" not in item:
            problems.append(Problem("malformed", "a CFItem has no identifier"))
            continue
        key = str(item["identifier"])
        if key in items:
            problems.append(Problem("duplicate", f"item identifier {key!r} is used twice", (key,)))
        items[key] = item
    return items


def _codes(
    items: Mapping[str, Mapping[str, Any]], parents: set[str], problems: list[Problem]
) -> dict[str, str]:
    """Competencies (leaves with a statement) by item identifier, duplicates reported."""
    codes: dict[str, str] = {}
    seen: dict[str, str] = {}
    for key, item in items.items():
        if key in parents or not item.get("fullStatement"):
            continue
        code = _code(items, key)
        if code in seen:
            problems.append(
                Problem("duplicate", f"competency code {code!r} is defined twice", (code,))
            )
            continue
        seen[code] = key
        codes[key] = code
    return codes


def _code(items: Mapping[str, Mapping[str, Any]], key: str) -> str:
    item = items.get(key, {})
    return str(item.get("humanCodingScheme") or key)


def _links(
    carrying: list[tuple[str, Mapping[str, Any], Mapping[str, Any]]],
    codes: set[str],
    known: set[str],
    problems: list[Problem],
) -> list[Link]:
    """``exactMatchOf``/``isRelatedTo`` point from a new code to an earlier one;
    ``replacedBy`` from the earlier code to its replacement."""
    links: list[Link] = []
    for kind, origin, destination in carrying:
        new, old = (destination, origin) if kind == "replacedBy" else (origin, destination)
        new_code = _named(new, codes)
        old_code = _named(old, known)
        if new_code is None:
            problems.append(
                _dangling(kind, _label(new), None, "is not a competency of the package")
            )
        if old_code is None:
            problems.append(_dangling(kind, _label(old), None, "is not a code known before"))
        if new_code is not None and old_code is not None:
            links.append(Link(kind, new_code, old_code))
    return sorted(set(links), key=lambda x: (x.code, x.kind, x.previous))


def _named(node: Mapping[str, Any], among: set[str]) -> str | None:
    """The code a node names: its title (the human coding scheme) or identifier."""
    for key in ("title", "humanCodingScheme", "identifier"):
        value = node.get(key)
        if value is not None and str(value) in among:
            return str(value)
    return None


def _label(node: Mapping[str, Any]) -> str:
    return str(node.get("title") or node.get("identifier"))


def _dangling(
    kind: str, end: str, association: Mapping[str, Any] | None, why: str = "is not in the package"
) -> Problem:
    at = f" (association {association.get('identifier')!r})" if association else ""
    return Problem("dangling", f"{kind} names {end!r}, which {why}{at}", (end,))
