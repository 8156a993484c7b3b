"""CASE packages built from the Common Core mathematics standards and their
dependency graph (``../shared/data/ccssm``: codes and edges are facts).

The shipped ``frameworks/ccssm-3-5`` and ``frameworks/ccssm-k8`` packages are
generated from it by ``scripts/build_ccssm_framework.py``. Descriptions are
composed here from grade, domain and cluster (``ccssm_text``, five languages),
never copied from the standards. Sub-standards (``3.NF.A.3.a``) are folded
into their standard; ``dependency`` edges become prerequisites (``precedes``),
``conceptual connection`` edges ``isRelatedTo`` (a softer link the planner
does not wait on).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from path_svc.tools import ccssm_text as text
from path_svc.tools.case_build import LANGUAGES, Item, packages

DOMAINS = {code: names["en"] for code, names in text.DOMAINS.items()}
GRADES = ("K", "1", "2", "3", "4", "5", "6", "7", "8")


@dataclass(frozen=True, slots=True)
class Graph:
    """The standards of some grades and the edges between them (codes only)."""

    standards: dict[str, tuple[str, str, str]]  # code -> (grade, domain, cluster)
    dependencies: list[tuple[str, str]]  # (prerequisite, then)
    connections: list[tuple[str, str]]  # conceptual connections, as listed


def standard_code(code: str) -> str:
    """The standard a (sub-)standard code belongs to: ``3.NF.A.3.a`` -> ``3.NF.A.3``."""
    return ".".join(code.split(".")[:4])


def read(folder: Path, grades: tuple[str, ...]) -> Graph:
    """Codes and edges of ``grades`` from the data folder (text columns are not read)."""
    standards: dict[str, tuple[str, str, str]] = {}
    with (folder / "ccssm-k8.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            grade = row["grade_level_code"]
            if grade not in grades:
                continue
            domain, cluster = row["domain_code"], row["cluster_code"]
            code = f"{grade}.{domain}.{cluster}.{row['standard_counter']}"
            standards.setdefault(code, (grade, domain, cluster))
    edges: dict[str, set[tuple[str, str]]] = {"dependency": set(), "conceptual connection": set()}
    with (folder / "ccssm-dependencies.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            first, then = standard_code(row["source"]), standard_code(row["target"])
            if first != then and first in standards and then in standards:
                edges.setdefault(row["relationship"], set()).add((first, then))
    dependencies = sorted(edges["dependency"])
    # A pair that is also a dependency is one: the stronger link is kept.
    related = sorted(edges["conceptual connection"] - set(dependencies))
    return Graph(standards, dependencies, related)


def case_package(folder: Path, grades: tuple[str, ...], name: str, title: str) -> dict[str, Any]:
    """The English CASE 1.0 package of ``grades`` (``title`` replaces the composed one)."""
    built = case_packages(folder, grades, name)["en"]
    built["CFDocument"]["title"] = title
    return built


def case_packages(folder: Path, grades: tuple[str, ...], name: str) -> dict[str, dict[str, Any]]:
    """The package of ``grades`` per language (English whole, others text only)."""
    graph = read(folder, grades)
    items: list[Item] = []
    clusters: dict[str, tuple[str, str, str]] = {}
    for code, (grade, domain, cluster) in sorted(
        graph.standards.items(), key=lambda kv: _order(kv[0])
    ):
        group = f"{grade}.{domain}.{cluster}"
        clusters[group] = (grade, domain, cluster)
        number = code.split(".")[3]
        items.append(
            Item(
                code,
                "Standard",
                grade,
                _texts(text.STANDARD, grade, domain, cluster, number),
                group,
            )
        )
    for group, (grade, domain, cluster) in sorted(
        clusters.items(), key=lambda kv: _order(kv[0] + ".0")
    ):
        items.append(
            Item(group, "Cluster", grade, _texts(text.CLUSTER, grade, domain, cluster, ""))
        )
    titles = {
        lang: text.TITLE[lang].format(grades=text.grades_label(grades[0], grades[-1], lang))
        for lang in LANGUAGES
    }
    links = [("precedes", a, b) for a, b in graph.dependencies]
    links += [("isRelatedTo", a, b) for a, b in graph.connections]
    document = {
        "version": "1",
        "creator": "Pathwise",
        "subject": ["Mathematics"],
        "notes": (
            "Codes, prerequisites (precedes) and conceptual connections (isRelatedTo): "
            "CCSS mathematics via flywheelmath/ccssm (MIT). Descriptions are composed by "
            "Pathwise from grade, domain and cluster; the standards' text is not included."
        ),
    }
    return packages(name, document, titles, items, links)


def _texts(
    template: dict[str, str], grade: str, domain: str, cluster: str, number: str
) -> dict[str, str]:
    return {
        lang: template[lang].format(
            grade=text.grade_label(grade, lang),
            domain=text.DOMAINS[domain][lang] if domain in text.DOMAINS else domain,
            cluster=cluster,
            number=number,
        )
        for lang in LANGUAGES
    }


def _order(code: str) -> tuple[int, str, str, int]:
    grade, domain, cluster, number = code.split(".")
    return (0 if grade == "K" else int(grade), domain, cluster, int(number))
