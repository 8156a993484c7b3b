"""The bundled competency graph loads, and broken graphs are refused by name."""

from __future__ import annotations

import pytest

from path_svc.domain import catalogue
from path_svc.domain.framework import Competency, CycleError, Framework, FrameworkError

pytestmark = pytest.mark.unit


def test_default_framework_is_grade3_math_with_prerequisites() -> None:
    framework = catalogue.load_default()
    codes = [c.code for c in framework.competencies]
    assert len(codes) >= 12 and all(code.startswith("3.") for code in codes)
    assert {"3.OA.A.1", "3.NF.A.3", "3.MD.C.7", "3.G.A.1"} <= set(codes)
    assert framework.prerequisites("3.OA.C.7") == ("3.OA.B.5", "3.OA.B.6")
    assert framework.prerequisites("3.OA.A.1") == ()


def test_cycle_is_named_in_the_error() -> None:
    with pytest.raises(CycleError) as caught:
        Framework(
            "cyclic",
            [
                Competency("a", "A", ("c",)),
                Competency("b", "B", ("a",)),
                Competency("c", "C", ("b",)),
                Competency("d", "D"),
            ],
        )
    cycle = caught.value.cycle
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    assert " -> ".join(cycle) in str(caught.value)


def test_self_prerequisite_is_a_cycle() -> None:
    with pytest.raises(CycleError, match="a -> a"):
        Framework("selfish", [Competency("a", "A", ("a",))])


def test_unknown_prerequisite_and_duplicates_are_refused() -> None:
    with pytest.raises(FrameworkError, match="'zz'"):
        Framework("x", [Competency("a", "A", ("zz",))])
    with pytest.raises(FrameworkError, match="twice"):
        Framework("x", [Competency("a", "A"), Competency("a", "again")])


def test_unknown_competency_lookup_names_it() -> None:
    with pytest.raises(KeyError, match=r"9\.ZZ\.A\.1"):
        catalogue.load_default().prerequisites("9.ZZ.A.1")


def test_the_default_framework_speaks_every_language_families_read() -> None:
    framework = catalogue.load_default()
    languages = {"es", "vi", "zh-Hans", "ar"}  # and English, its ``description``
    assert set(framework.titles) == languages
    for competency in framework.competencies:
        texts = dict(competency.descriptions)
        assert set(texts) == languages, competency.code
        assert all(t.strip() and t != competency.description for t in texts.values())
