"""Competency frameworks from 1EdTech CASE 1.0 JSON packages.

A package has a ``CFDocument`` (the framework: title, version), ``CFItems``
(standards, clusters, domains...) and ``CFAssociations`` between items.
``isChildOf`` gives structure; ``precedes`` and ``isPrerequisiteOf`` (origin
before destination) and ``hasPrerequisite`` (destination before origin) give
the prerequisite edges the planner needs. Items with a human coding scheme
(e.g. ``3.OA.A.1``) that nothing ``isChildOf`` become competencies; their
parents are kept as ``group`` for display. The result is validated like any
framework, so a prerequisite cycle is rejected with the cycle named.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from path_svc.domain.framework import Competency, Framework, FrameworkError

BEFORE = frozenset({"precedes", "isPrerequisiteOf"})
AFTER = frozenset({"hasPrerequisite"})


def from_case(
    package: Mapping[str, Any],
    name: str | None = None,
    translations: Mapping[str, Mapping[str, Any]] | None = None,
) -> Framework:
    """A validated framework from a CASE package (raises FrameworkError), with the
    text of ``translations`` (language -> package of the same items) joined by id."""
    try:
        document = package["CFDocument"]
        items = {str(i["identifier"]): i for i in package.get("CFItems", [])}
        associations = list(package.get("CFAssociations", []))
    except (KeyError, TypeError) as exc:
        raise FrameworkError(f"not a CASE package: missing {exc}") from None
    parents: dict[str, str] = {}
    prerequisites: dict[str, list[str]] = {}
    for a in associations:
        kind = a.get("associationType")
        origin, destination = _node(a, "originNodeURI"), _node(a, "destinationNodeURI")
        if kind == "isChildOf":
            parents[origin] = destination
        elif kind in BEFORE or kind in AFTER:
            first, then = (origin, destination) if kind in BEFORE else (destination, origin)
            for end in (first, then):
                if end not in items:
                    raise FrameworkError(f"{kind} association names unknown item {end!r}")
            prerequisites.setdefault(then, []).append(first)
    has_children = set(parents.values())
    code = {i: str(item.get("humanCodingScheme") or i) for i, item in items.items()}
    leaves = [i for i, item in items.items() if i not in has_children and item.get("fullStatement")]
    other = {lang: _statements(p) for lang, p in sorted((translations or {}).items())}
    competencies = [
        Competency(
            code=code[i],
            description=str(items[i]["fullStatement"]),
            prerequisites=tuple(dict.fromkeys(code[p] for p in prerequisites.get(i, []))),
            descriptions=tuple((lang, texts[i]) for lang, texts in other.items() if i in texts),
            grade=_grade(items[i]),
        )
        for i in leaves
    ]
    titles = {
        lang: str(p["CFDocument"]["title"])
        for lang, p in (translations or {}).items()
        if isinstance(p.get("CFDocument"), Mapping) and p["CFDocument"].get("title")
    }
    return Framework(
        name or str(document.get("identifier")),
        competencies,
        title=str(document.get("title", "")),
        titles=titles,
        version=str(document.get("version") or document.get("lastChangeDateTime") or "1"),
    )


def digest(framework: Framework) -> str:
    """SHA-256 of the framework's canonical JSON: equal content, equal digest."""
    canonical = json.dumps(
        [[c.code, c.description, sorted(c.prerequisites)] for c in framework.competencies],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _node(association: Mapping[str, Any], key: str) -> str:
    node = association.get(key)
    if not isinstance(node, Mapping) or "identifier" not in node:
        raise FrameworkError(f"association {association.get('identifier')!r} has no {key}")
    return str(node["identifier"])


def _statements(package: Mapping[str, Any]) -> dict[str, str]:
    """Identifier -> fullStatement of a language package's items."""
    return {
        str(i["identifier"]): str(i["fullStatement"])
        for i in package.get("CFItems", [])
        if isinstance(i, Mapping) and "identifier" in i and i.get("fullStatement")
    }


def _grade(item: Mapping[str, Any]) -> str | None:
    """The item's single grade (``educationLevel``: ["3"]), or None when it spans several."""
    levels = item.get("educationLevel")
    if isinstance(levels, list) and len(levels) == 1:
        return str(levels[0])
    return None
