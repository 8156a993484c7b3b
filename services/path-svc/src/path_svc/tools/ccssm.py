"""CASE packages built from the Common Core mathematics standards and their
dependency graph (``../shared/data/ccssm``: codes and edges are facts).

The shipped ``frameworks/ccssm-3-5.case.json`` is generated from it by
``scripts/build_ccssm_framework.py``; the K-8 package built here is also the
large real graph the tests import. Descriptions are written here, short and in
our own words (domain, cluster and number), never copied from the standards.
Sub-standards (``3.NF.A.3.a``) are folded into their standard, and only
``dependency`` edges count as prerequisites (``conceptual connection`` is a
softer link the planner should not wait on).
"""

from __future__ import annotations

import csv
import uuid
from pathlib import Path
from typing import Any

DOMAINS = {
    "CC": "counting and cardinality",
    "OA": "operations and algebraic thinking",
    "NBT": "place value and base-ten operations",
    "NF": "fractions",
    "MD": "measurement and data",
    "G": "geometry",
    "RP": "ratios and proportional reasoning",
    "NS": "the number system",
    "EE": "expressions and equations",
    "F": "functions",
    "SP": "statistics and probability",
}
_NS = uuid.UUID("5b0f4d0e-3c2a-4a57-9f61-4d1f8c3a7e21")


def standard_code(code: str) -> str:
    """The standard a (sub-)standard code belongs to: ``3.NF.A.3.a`` -> ``3.NF.A.3``."""
    return ".".join(code.split(".")[:4])


def case_package(folder: Path, grades: tuple[str, ...], name: str, title: str) -> dict[str, Any]:
    """A CASE 1.0 package of the standards of ``grades`` and their prerequisites."""
    standards: dict[str, tuple[str, str, str]] = {}
    with (folder / "ccssm-k8.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["grade_level_code"] not in grades:
                continue
            grade, domain, cluster = (
                row["grade_level_code"],
                row["domain_code"],
                row["cluster_code"],
            )
            code = f"{grade}.{domain}.{cluster}.{row['standard_counter']}"
            standards.setdefault(code, (grade, domain, cluster))
    edges: set[tuple[str, str]] = set()
    with (folder / "ccssm-dependencies.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            first, then = standard_code(row["source"]), standard_code(row["target"])
            wanted = row["relationship"] == "dependency" and first != then
            if wanted and first in standards and then in standards:
                edges.add((first, then))
    return _package(name, title, standards, sorted(edges))


def _package(
    name: str,
    title: str,
    standards: dict[str, tuple[str, str, str]],
    edges: list[tuple[str, str]],
) -> dict[str, Any]:
    def ident(*parts: str) -> str:
        return str(uuid.uuid5(_NS, "/".join((name, *parts))))

    doc = ident("document")
    items: list[dict[str, Any]] = []
    associations: list[dict[str, Any]] = []
    clusters: set[tuple[str, str, str]] = set()
    for code, (grade, domain, cluster) in sorted(standards.items(), key=lambda kv: _order(kv[0])):
        number = code.split(".")[3]
        items.append(
            {
                "identifier": ident(code),
                "humanCodingScheme": code,
                "CFItemType": "Standard",
                "educationLevel": [grade],
                "fullStatement": (
                    f"Grade {grade} {DOMAINS.get(domain, domain)}: standard {number} "
                    f"of cluster {cluster}."
                ),
            }
        )
        clusters.add((grade, domain, cluster))
        associations.append(_association(ident, "isChildOf", code, f"{grade}.{domain}.{cluster}"))
    for grade, domain, cluster in sorted(clusters):
        group = f"{grade}.{domain}.{cluster}"
        items.append(
            {
                "identifier": ident(group),
                "humanCodingScheme": group,
                "CFItemType": "Cluster",
                "educationLevel": [grade],
                "abbreviatedStatement": f"Grade {grade} {DOMAINS.get(domain, domain)}, {cluster}",
            }
        )
    for first, then in edges:
        associations.append(_association(ident, "precedes", first, then))
    return {
        "CFDocument": {
            "identifier": doc,
            "title": title,
            "version": "1",
            "creator": "Pathwise",
            "subject": ["Mathematics"],
            "notes": "Codes and dependencies: CCSS mathematics via flywheelmath/ccssm (MIT).",
        },
        "CFItems": items,
        "CFAssociations": associations,
    }


def _association(ident: Any, kind: str, origin: str, destination: str) -> dict[str, Any]:
    return {
        "identifier": ident(kind, origin, destination),
        "associationType": kind,
        "originNodeURI": {"identifier": ident(origin), "title": origin},
        "destinationNodeURI": {"identifier": ident(destination), "title": destination},
    }


def _order(code: str) -> tuple[int, str, str, int]:
    grade, domain, cluster, number = code.split(".")
    return (0 if grade == "K" else int(grade), domain, cluster, int(number))
