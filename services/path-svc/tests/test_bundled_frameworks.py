"""The bundled K-8 frameworks: built from the shared data, DAGs, text in five languages."""

from __future__ import annotations

import csv
import json
import os
from importlib import resources
from pathlib import Path

import pytest

from path_svc.domain import catalogue
from path_svc.domain.cycles import every_cycle
from path_svc.tools import ela
from path_svc.tools.case_build import LANGUAGES, cycles, dumps, file_name
from path_svc.tools.ccssm import GRADES, case_packages, standard_code

pytestmark = pytest.mark.unit
BUNDLED = resources.files("path_svc") / "frameworks"


def shared_ccssm() -> Path:
    root = os.environ.get("PATHWISE_SHARED_DATA")
    base = Path(root) if root else Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
    folder = base / "ccssm"
    if not (folder / "ccssm-k8.csv").is_file():
        pytest.skip(f"CCSSM data not found in {folder} (set PATHWISE_SHARED_DATA)")
    return folder


def test_every_cycle_is_reported_not_only_the_first() -> None:
    edges = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["d"], "e": ["f"], "f": ["e", "g"]}
    assert every_cycle(edges) == [["a", "b", "c", "a"], ["d", "d"], ["e", "f", "e"]]
    assert every_cycle({"a": ["b"], "b": []}) == []


def test_the_bundled_k8_math_packages_are_what_the_generator_builds() -> None:
    built = case_packages(shared_ccssm(), GRADES, "ccssm-k8")
    assert set(built) == set(LANGUAGES)
    for lang, package in built.items():
        stored = (BUNDLED / file_name("ccssm-k8", lang)).read_text("utf-8")
        assert stored == dumps(package), f"rebuild {file_name('ccssm-k8', lang)}"
    assert cycles(built["en"]) == []


def test_every_k8_edge_of_the_data_is_in_the_package() -> None:
    folder = shared_ccssm()
    package = json.loads((BUNDLED / "ccssm-k8.case.json").read_text("utf-8"))
    code = {i["identifier"]: i["humanCodingScheme"] for i in package["CFItems"]}
    links = {
        (
            a["associationType"],
            code[a["originNodeURI"]["identifier"]],
            code[a["destinationNodeURI"]["identifier"]],
        )
        for a in package["CFAssociations"]
    }
    standards = {c for c in code.values() if c.count(".") == 3}
    kinds = {"dependency": "precedes", "conceptual connection": "isRelatedTo"}
    checked = 0
    with (folder / "ccssm-dependencies.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            first, then = standard_code(row["source"]), standard_code(row["target"])
            if first == then or first not in standards or then not in standards:
                continue  # high school, or a sub-standard of its own standard
            kind = kinds[row["relationship"]]
            assert (kind, first, then) in links or ("precedes", first, then) in links, row
            checked += 1
    assert checked > 500
    framework = catalogue.load("ccssm-k8")
    assert {c.grade for c in framework.competencies} == set(GRADES)
    assert "K.CC.A.1" in framework.prerequisites("1.NBT.A.1")


def test_no_standard_text_is_copied_into_the_package() -> None:
    folder = shared_ccssm()
    with (folder / "ccssm-k8.csv").open(newline="", encoding="utf-8") as handle:
        statements = {row["description"] for row in csv.DictReader(handle)}
    bundled = (BUNDLED / "ccssm-k8.case.json").read_text("utf-8")
    assert not [s for s in statements if len(s) > 30 and json.dumps(s)[1:-1] in bundled]


def test_the_bundled_ela_packages_are_what_the_generator_builds() -> None:
    built = ela.case_packages()
    for lang, package in built.items():
        stored = (BUNDLED / file_name("ela-k8", lang)).read_text("utf-8")
        assert stored == dumps(package), f"rebuild {file_name('ela-k8', lang)}"
    assert cycles(built["en"]) == []
    assert "authored" in built["en"]["CFDocument"]["notes"].lower()


def test_ela_follows_the_common_core_design() -> None:
    framework = catalogue.load("ela-k8")
    codes = {c.code for c in framework.competencies}
    for grade in GRADES:
        assert {f"RI.{grade}.{n}" for n in range(1, 11)} <= codes
        assert {f"SL.{grade}.{n}" for n in range(1, 7)} <= codes
        assert f"RL.{grade}.8" not in codes  # not applicable to literature
    assert {f"RF.{g}.{n}" for g in ("K", "1") for n in range(1, 5)} <= codes
    assert {"RF.2.1", "RF.5.2", "RF.6.3", "W.2.4", "W.3.9", "L.1.3"}.isdisjoint(codes)
    assert {"RF.5.4", "W.3.4", "W.4.9", "L.2.3"} <= codes
    assert framework.prerequisites("RL.3.1") == ("RL.2.1",)
    assert framework.prerequisites("W.4.9") == ()  # the first grade it is taught
    assert framework.prerequisites("RL.K.1") == ()
    assert all(c.grade == c.code.split(".")[1] for c in framework.competencies)


@pytest.mark.parametrize("name", ["grade3-math", "ccssm-3-5", "ccssm-k8", "ela-k8"])
def test_every_competency_has_text_in_the_five_languages(name: str) -> None:
    framework = catalogue.load(name)
    for lang in LANGUAGES[1:]:
        assert framework.titles.get(lang), (name, lang)
    for c in framework.competencies:
        texts = dict(c.descriptions)
        assert c.description and all(texts.get(lang) for lang in LANGUAGES[1:]), c.code
