"""Regenerate ``src/path_svc/frameworks/ccssm-3-5.case.json`` from ../shared/data/ccssm.

Usage: .venv/bin/python services/path-svc/scripts/build_ccssm_framework.py
(the data folder defaults to <repo>/../shared/data; override with PATHWISE_SHARED_DATA).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from path_svc.domain.case import from_case
from path_svc.tools.ccssm import case_package

SERVICE = Path(__file__).resolve().parents[1]
OUT = SERVICE / "src" / "path_svc" / "frameworks" / "ccssm-3-5.case.json"


def main() -> int:
    shared = os.environ.get("PATHWISE_SHARED_DATA")
    data = (Path(shared) if shared else SERVICE.parents[2] / "shared" / "data") / "ccssm"
    if not (data / "ccssm-k8.csv").is_file():
        print(f"CCSSM data not found in {data}", file=sys.stderr)
        return 2
    package = case_package(
        data, ("3", "4", "5"), "ccssm-3-5", "Grades 3-5 mathematics (Common Core codes)"
    )
    framework = from_case(package, "ccssm-3-5")  # validates: known items, no cycle
    OUT.write_text(json.dumps(package, indent=1) + "\n", encoding="utf-8")
    edges = sum(len(c.prerequisites) for c in framework.competencies)
    print(f"{OUT.name}: {len(framework.competencies)} competencies, {edges} prerequisites")
    return 0


if __name__ == "__main__":
    sys.exit(main())
