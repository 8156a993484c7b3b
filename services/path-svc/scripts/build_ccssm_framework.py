"""Regenerate the bundled Common Core mathematics packages from the CCSSM data.

Usage: .venv/bin/python services/path-svc/scripts/build_ccssm_framework.py [DATA_DIR]
(DATA_DIR defaults to ../shared/data/ccssm beside the repository root). Writes
``ccssm-3-5`` and ``ccssm-k8``, each as ``<name>.case.json`` (English, with
the associations) and ``<name>.<lang>.case.json`` per other language, after
checking the prerequisite graph is a DAG (every cycle is reported).
"""

from __future__ import annotations

import sys
from pathlib import Path

from path_svc.domain.case import from_case
from path_svc.tools.case_build import cycles, dumps, file_name
from path_svc.tools.ccssm import GRADES, case_packages

SERVICE = Path(__file__).resolve().parents[1]
FRAMEWORKS = SERVICE / "src" / "path_svc" / "frameworks"
BUILDS = {"ccssm-3-5": ("3", "4", "5"), "ccssm-k8": GRADES}


def main(argv: list[str]) -> int:
    data = Path(argv[0]) if argv else SERVICE.parents[2] / "shared" / "data" / "ccssm"
    if not (data / "ccssm-k8.csv").is_file():
        print(f"CCSSM data not found in {data}", file=sys.stderr)
        return 2
    for name, grades in BUILDS.items():
        built = case_packages(data, grades, name)
        knots = cycles(built["en"])
        if knots:
            for knot in knots:
                print(f"{name}: prerequisite cycle {' -> '.join(knot)}", file=sys.stderr)
            return 1
        framework = from_case(built["en"], name)  # validates: known items, no cycle
        for lang, package in built.items():
            (FRAMEWORKS / file_name(name, lang)).write_text(dumps(package), encoding="utf-8")
        edges = sum(len(c.prerequisites) for c in framework.competencies)
        print(f"{name}: {len(framework.competencies)} competencies, {edges} prerequisites")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
