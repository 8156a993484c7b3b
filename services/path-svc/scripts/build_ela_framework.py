"""Regenerate the bundled ELA K-8 packages from the table in ``path_svc.tools.ela``.

Usage: .venv/bin/python services/path-svc/scripts/build_ela_framework.py
Writes ``ela-k8.case.json`` (English, with the associations) and
``ela-k8.<lang>.case.json`` per other language, after checking the graph.
"""

from __future__ import annotations

import sys
from pathlib import Path

from path_svc.domain.case import from_case
from path_svc.tools.case_build import cycles, dumps, file_name
from path_svc.tools.ela import NAME, case_packages

FRAMEWORKS = Path(__file__).resolve().parents[1] / "src" / "path_svc" / "frameworks"


def main() -> int:
    built = case_packages()
    knots = cycles(built["en"])
    for knot in knots:
        print(f"{NAME}: prerequisite cycle {' -> '.join(knot)}", file=sys.stderr)
    if knots:
        return 1
    framework = from_case(built["en"], NAME)
    for lang, package in built.items():
        (FRAMEWORKS / file_name(NAME, lang)).write_text(dumps(package), encoding="utf-8")
    edges = sum(len(c.prerequisites) for c in framework.competencies)
    print(f"{NAME}: {len(framework.competencies)} competencies, {edges} prerequisites")
    return 0


if __name__ == "__main__":
    sys.exit(main())
