"""Assembling the bundled CASE packages: deterministic ids, associations, languages.

Shared by the mathematics and ELA generators. Identifiers are UUIDv5 of the
framework name and the item's code, so a regenerated package is byte-equal
and its ids never move. Text in other languages is shipped the way CASE
carries it: one package per language (``<name>.<lang>.case.json``) whose
``CFDocument.language`` and ``CFItem.language`` name the language and whose
items keep the identifiers of the English package, so a CASE consumer sees
the same item in another language and ``catalogue.load`` joins them by id.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from path_svc.domain import graph

LANGUAGES = ("en", "es", "vi", "zh-Hans", "ar")
"""The portal's languages (its ``locales``); English is the package itself."""
_NS = uuid.UUID("5b0f4d0e-3c2a-4a57-9f61-4d1f8c3a7e21")


@dataclass(frozen=True, slots=True)
class Item:
    """One CFItem to write: its code, type, grade and its text per language."""

    code: str
    kind: str  # Standard | Cluster | Strand ...
    grade: str
    text: Mapping[str, str]  # language -> statement
    parent: str | None = None


def ident_for(name: str) -> Callable[..., str]:
    def ident(*parts: str) -> str:
        return str(uuid.uuid5(_NS, "/".join((name, *parts))))

    return ident


def association(
    ident: Callable[..., str], kind: str, origin: str, destination: str
) -> dict[str, Any]:
    return {
        "identifier": ident(kind, origin, destination),
        "associationType": kind,
        "originNodeURI": {"identifier": ident(origin), "title": origin},
        "destinationNodeURI": {"identifier": ident(destination), "title": destination},
    }


def packages(
    name: str,
    document: Mapping[str, Any],
    titles: Mapping[str, str],
    items: list[Item],
    links: list[tuple[str, str, str]],
) -> dict[str, dict[str, Any]]:
    """The package per language: ``en`` whole, the others their document and items.

    ``links`` are (associationType, origin code, destination code); ``isChildOf``
    ones are added from each item's ``parent``. Standards carry ``fullStatement``
    (they become competencies), groups ``abbreviatedStatement``.
    """
    ident = ident_for(name)
    out: dict[str, dict[str, Any]] = {}
    for lang in LANGUAGES:
        doc = {"identifier": ident("document"), **document, "language": lang}
        doc["title"] = titles[lang]
        cf_items = [_cf_item(ident, item, lang) for item in items]
        package: dict[str, Any] = {"CFDocument": doc, "CFItems": cf_items}
        if lang == "en":
            structure = [("isChildOf", i.code, i.parent) for i in items if i.parent]
            package["CFAssociations"] = [
                association(ident, kind, origin, dest) for kind, origin, dest in structure + links
            ]
        out[lang] = package
    return out


def _cf_item(ident: Callable[..., str], item: Item, lang: str) -> dict[str, Any]:
    statement = "fullStatement" if item.kind == "Standard" else "abbreviatedStatement"
    return {
        "identifier": ident(item.code),
        "humanCodingScheme": item.code,
        "CFItemType": item.kind,
        "educationLevel": [item.grade],
        "language": lang,
        statement: item.text[lang],
    }


def cycles(package: Mapping[str, Any]) -> list[list[str]]:
    """Every prerequisite cycle of a package (``precedes``), by code: empty for a DAG."""
    code = {str(i["identifier"]): str(i.get("humanCodingScheme")) for i in package["CFItems"]}
    edges: dict[str, list[str]] = {}
    for a in package.get("CFAssociations", []):
        if a["associationType"] == "precedes":
            origin = code[a["originNodeURI"]["identifier"]]
            edges.setdefault(origin, []).append(code[a["destinationNodeURI"]["identifier"]])
    return graph.cycles(edges)


def file_name(name: str, lang: str) -> str:
    """``ccssm-k8.case.json`` for English, ``ccssm-k8.es.case.json`` for Spanish."""
    return f"{name}.case.json" if lang == "en" else f"{name}.{lang}.case.json"


def dumps(package: Mapping[str, Any]) -> str:
    """The bytes a bundled package is stored as (stable, so a rebuild diffs clean)."""
    return json.dumps(package, indent=1, ensure_ascii=False) + "\n"
