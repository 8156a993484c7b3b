"""A bad CASE package is answered with every problem at once; a good one keeps its links."""

from __future__ import annotations

import itertools
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from path_svc.domain import catalogue
from path_svc.domain.content import package_of, published
from path_svc.domain.graph import cycles
from path_svc.domain.package import Link, PackageError, read
from path_svc.tools.ccssm import case_package

pytestmark = pytest.mark.unit


def node(key: str) -> dict[str, str]:
    return {"identifier": key, "title": key}


def package(items: list[str], associations: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "CFDocument": {"identifier": "doc", "title": "District math", "version": "2"},
        "CFItems": [
            {"identifier": i, "humanCodingScheme": i, "fullStatement": f"statement {i}"}
            for i in items
        ],
        "CFAssociations": [
            {
                "identifier": f"{o}-{kind}-{d}",
                "associationType": kind,
                "originNodeURI": node(o),
                "destinationNodeURI": node(d),
            }
            for o, kind, d in associations
        ],
    }


def test_every_cycle_dangling_end_and_duplicate_is_listed() -> None:
    bad = package(
        ["A", "B", "C", "D", "E", "A"],
        [
            ("A", "precedes", "B"),
            ("B", "precedes", "A"),  # cycle 1
            ("C", "precedes", "D"),
            ("D", "precedes", "E"),
            ("E", "precedes", "C"),  # cycle 2
            ("A", "precedes", "Z"),  # dangling prerequisite
            ("Q", "isChildOf", "doc"),  # dangling structure
            ("B", "exactMatchOf", "9.X.1"),  # dangling association target
        ],
    )
    with pytest.raises(PackageError) as caught:
        read(bad, "district-math", catalogue.load_default())
    found = {(p.kind, p.codes) for p in caught.value.problems}
    assert ("cycle", ("A", "B", "A")) in found
    assert ("cycle", ("C", "E", "D", "C")) in found  # C requires E requires D ...
    assert ("dangling", ("Z",)) in found
    assert ("dangling", ("Q",)) in found
    assert ("dangling", ("9.X.1",)) in found
    assert ("duplicate", ("A",)) in found  # the item identifier "A" twice
    assert len(caught.value.problems) == 6


def test_duplicate_codes_under_different_identifiers_are_named() -> None:
    bad = package(["A", "B"], [])
    bad["CFItems"][1]["humanCodingScheme"] = "A"
    with pytest.raises(PackageError) as caught:
        read(bad, "x")
    assert [(p.kind, p.codes) for p in caught.value.problems] == [("duplicate", ("A",))]


def test_not_a_package_is_one_clear_problem() -> None:
    with pytest.raises(PackageError) as caught:
        read({"items": []}, "x")
    assert caught.value.problems[0].kind == "malformed"


def test_associations_point_from_new_codes_to_codes_known_before() -> None:
    good = package(
        ["3.OA.A.1a", "3.OA.A.1b", "3.OA.A.2"],
        [
            ("3.OA.A.1", "replacedBy", "3.OA.A.1a"),
            ("3.OA.A.1", "replacedBy", "3.OA.A.1b"),
            ("3.OA.A.2", "exactMatchOf", "3.OA.A.2"),
            ("3.OA.A.1a", "precedes", "3.OA.A.2"),
        ],
    )
    read_back = read(good, "district-math", catalogue.load_default())
    assert read_back.links == (
        Link("replacedBy", "3.OA.A.1a", "3.OA.A.1"),
        Link("replacedBy", "3.OA.A.1b", "3.OA.A.1"),
        Link("exactMatchOf", "3.OA.A.2", "3.OA.A.2"),
    )
    assert read_back.framework.prerequisites("3.OA.A.2") == ("3.OA.A.1a",)


def test_the_event_carries_the_framework_whole_and_small() -> None:
    text = (resources.files("path_svc") / "frameworks" / "ccssm-3-5.case.json").read_text("utf-8")
    pkg = read(json.loads(text), "ccssm-3-5", catalogue.load_default())
    event = published(pkg, "district:d1")
    again = package_of(type(event).model_validate_json(event.model_dump_json()))
    assert again.digest == pkg.digest
    assert [c.code for c in again.framework.competencies] == [
        c.code for c in pkg.framework.competencies
    ]
    assert len(event.model_dump_json()) < 100_000


def test_a_350_competency_package_stays_well_under_kafkas_megabyte() -> None:
    codes = [f"{g}.X.{i}" for g in "K12345678" for i in range(39)]  # 351 codes
    edges = [(a, "precedes", b) for a, b in itertools.pairwise(codes)]
    big = package(codes, edges)
    for item in big["CFItems"]:  # statements as long as real standards' ones
        item["fullStatement"] = "Understand and apply " + "properties of operations " * 12
    event = published(read(big, "k8"), "district:d1")
    assert len(event.model_dump_json().encode()) < 300_000  # a quarter of 1 MB at most


def test_cycles_reports_one_walk_per_cyclic_component_and_self_loops() -> None:
    graph = {"a": ["b"], "b": ["a"], "c": ["c"], "d": ["a"]}
    assert cycles(graph) == [["a", "b", "a"], ["c", "c"]]
    assert cycles({"a": [], "b": ["a"]}) == []


def test_the_real_k8_package_fits_one_kafka_message_many_times_over() -> None:
    root = os.environ.get("PATHWISE_SHARED_DATA")
    base = Path(root) if root else Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
    folder = base / "ccssm"
    if not (folder / "ccssm-k8.csv").is_file():
        pytest.skip(f"CCSSM data not found in {folder} (set PATHWISE_SHARED_DATA)")
    grades = ("K", "1", "2", "3", "4", "5", "6", "7", "8")
    package = read(case_package(folder, grades, "ccssm-k8", "K-8"), "ccssm-k8")
    size = len(published(package, "district:d1").model_dump_json().encode())
    assert len(package.framework.competencies) > 200
    assert size < 300_000, size


def test_the_digest_is_the_same_for_a_repost_and_new_for_a_new_version() -> None:
    one = package(["A", "B"], [("A", "precedes", "B")])
    assert read(one, "x").digest == read(package(["A", "B"], [("A", "precedes", "B")]), "x").digest
    newer = {**one, "CFDocument": {**one["CFDocument"], "version": "3"}}
    assert read(newer, "x").digest != read(one, "x").digest
