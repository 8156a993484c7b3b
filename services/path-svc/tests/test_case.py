"""CASE 1.0 import: structure versus prerequisites, cycles named, the real CCSSM graph."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from path_svc.domain import catalogue
from path_svc.domain.case import digest, from_case
from path_svc.domain.framework import CycleError, FrameworkError
from path_svc.tools.ccssm import case_package

pytestmark = pytest.mark.unit


def package(associations: list[tuple[str, str, str]]) -> dict[str, Any]:
    items = ["A", "B", "C", "G"]
    return {
        "CFDocument": {"identifier": "doc", "title": "T", "version": "2025.1"},
        "CFItems": [
            {"identifier": i, "humanCodingScheme": f"X.{i}", "fullStatement": f"item {i}"}
            for i in items
        ],
        "CFAssociations": [
            {
                "identifier": f"{o}-{kind}-{d}",
                "associationType": kind,
                "originNodeURI": {"identifier": o},
                "destinationNodeURI": {"identifier": d},
            }
            for o, kind, d in associations
        ],
    }


def test_structure_and_prerequisites_are_read_in_their_directions() -> None:
    framework = from_case(
        package(
            [
                ("A", "isChildOf", "G"),
                ("B", "isChildOf", "G"),
                ("C", "isChildOf", "G"),
                ("A", "precedes", "B"),
                ("C", "hasPrerequisite", "B"),
            ]
        ),
        "x",
    )
    assert [c.code for c in framework.competencies] == ["X.A", "X.B", "X.C"]  # G is a group
    assert framework.prerequisites("X.B") == ("X.A",)
    assert framework.prerequisites("X.C") == ("X.B",)
    assert framework.version == "2025.1"


def test_a_prerequisite_cycle_is_rejected_and_named() -> None:
    with pytest.raises(CycleError) as caught:
        from_case(
            package(
                [("A", "precedes", "B"), ("B", "isPrerequisiteOf", "C"), ("C", "precedes", "A")]
            )
        )
    assert set(caught.value.cycle) == {"X.A", "X.B", "X.C"}
    assert caught.value.cycle[0] == caught.value.cycle[-1]
    assert "->" in str(caught.value)


def test_an_association_to_an_unknown_item_is_rejected() -> None:
    with pytest.raises(FrameworkError, match="unknown item"):
        from_case(package([("A", "precedes", "Z")]))


def test_the_digest_changes_with_content_only() -> None:
    one = from_case(package([("A", "precedes", "B")]))
    assert digest(one) == digest(from_case(package([("A", "precedes", "B")])))
    assert digest(one) != digest(from_case(package([("B", "precedes", "A")])))


def test_the_shipped_grades_3_to_5_framework_lists_prerequisites_first() -> None:
    framework = catalogue.load("ccssm-3-5")
    seen: set[str] = set()
    for c in framework.competencies:
        assert set(c.prerequisites) <= seen, c.code
        seen.add(c.code)
    assert len(framework.competencies) > 70
    assert {c.code.split(".")[0] for c in framework.competencies} == {"3", "4", "5"}


def shared_ccssm() -> Path:
    root = os.environ.get("PATHWISE_SHARED_DATA")
    base = Path(root) if root else Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
    return base / "ccssm"


def test_the_whole_k8_graph_imports_as_a_dag() -> None:
    folder = shared_ccssm()
    if not (folder / "ccssm-k8.csv").is_file():
        pytest.skip(f"CCSSM data not found in {folder} (set PATHWISE_SHARED_DATA)")
    grades = ("K", "1", "2", "3", "4", "5", "6", "7", "8")
    framework = from_case(case_package(folder, grades, "ccssm-k8", "K-8"), "ccssm-k8")
    assert len(framework.competencies) > 200
    assert sum(len(c.prerequisites) for c in framework.competencies) > 350
    assert framework.prerequisites("1.NBT.A.1") == ("K.CC.A.1",) or "K.CC.A.1" in (
        framework.prerequisites("1.NBT.A.1")
    )
