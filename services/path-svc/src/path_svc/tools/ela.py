"""The ELA K-8 framework: Common Core's structure, authored here (no ELA data is bundled).

What is taken as fact is only the design CCSS ELA is built on: strands RL, RI
and W, SL, L for every grade K-8 and RF for K-5; grade-specific standards
numbered after the College and Career Readiness anchors (reading 1-10,
writing 1-10, speaking and listening 1-6, language 1-6); each standard the
next step of the same standard a grade below (RL.2.1 before RL.3.1). Left
out are the numbers CCSS marks not applicable or not yet begun: RL.8 (not
applicable to literature), W.4 and W.10 before grade 3, W.9 before grade 4,
L.3 before grade 2, and RF beyond 3-4 after grade 1. Descriptions are composed
from ``ela_text`` (ours, five languages), never the standards' text.
"""

from __future__ import annotations

from typing import Any

from path_svc.tools import ela_text as text
from path_svc.tools.case_build import LANGUAGES, Item, packages
from path_svc.tools.ccssm_text import grade_label

GRADES = ("K", "1", "2", "3", "4", "5", "6", "7", "8")
COUNT = {"RL": 10, "RI": 10, "RF": 4, "W": 10, "SL": 6, "L": 6}
NAME = "ela-k8"


def applies(strand: str, grade: str, number: int) -> bool:
    """Whether CCSS has a grade-specific standard ``strand.grade.number``."""
    g = 0 if grade == "K" else int(grade)
    if strand == "RL" and number == 8:
        return False
    if strand == "RF":
        return g <= 1 or (g <= 5 and number in (3, 4))
    if strand == "W":
        return not ((number in (4, 10) and g < 3) or (number == 9 and g < 4))
    if strand == "L" and number == 3:
        return g >= 2
    return True


def standards() -> list[tuple[str, str, int]]:
    """(strand, grade, number) of every standard, grade by grade."""
    return [
        (strand, grade, number)
        for grade in GRADES
        for strand, count in COUNT.items()
        for number in range(1, count + 1)
        if applies(strand, grade, number)
    ]


def case_packages() -> dict[str, dict[str, Any]]:
    """The framework per language (English whole with associations, others text only)."""
    listed = standards()
    present = {(s, g, n) for s, g, n in listed}
    items: list[Item] = []
    links: list[tuple[str, str, str]] = []
    groups: dict[str, tuple[str, str]] = {}
    for strand, grade, number in listed:
        group = f"{strand}.{grade}"
        groups[group] = (strand, grade)
        code = f"{group}.{number}"
        items.append(Item(code, "Standard", grade, _standard(strand, grade, number), group))
        below = GRADES[GRADES.index(grade) - 1] if grade != "K" else None
        if below is not None and (strand, below, number) in present:
            links.append(("precedes", f"{strand}.{below}.{number}", code))
    for group, (strand, grade) in groups.items():
        items.append(Item(group, "Strand", grade, _group(strand, grade)))
    document = {
        "version": "1",
        "creator": "Pathwise",
        "subject": ["English Language Arts"],
        "notes": (
            "Authored by Pathwise, not an official CCSS publication: the codes follow the "
            "Common Core ELA design (strands RL, RI, W, SL, L for K-8 and RF for K-5, "
            "standards numbered after the College and Career Readiness anchors, numbers "
            "CCSS marks not applicable or not yet begun left out). Each standard's "
            "prerequisite is the same standard a grade below. Descriptions are Pathwise's "
            "own summaries of the anchors by grade band, not the standards' text."
        ),
    }
    return packages(NAME, document, text.TITLE, items, links)


def _band(grade: str) -> str:
    g = 0 if grade == "K" else int(grade)
    return "K-2" if g <= 2 else "3-5" if g <= 5 else "6-8"


def _standard(strand: str, grade: str, number: int) -> dict[str, str]:
    return {
        lang: text.STANDARD[lang].format(
            grade=grade_label(grade, lang),
            strand=text.STRANDS[strand][lang],
            number=number,
            summary=text.ANCHORS[strand][number][lang],
            band=text.BANDS[_band(grade)][lang],
        )
        for lang in LANGUAGES
    }


def _group(strand: str, grade: str) -> dict[str, str]:
    return {
        lang: text.GROUP[lang].format(
            grade=grade_label(grade, lang), strand=text.STRANDS[strand][lang]
        )
        for lang in LANGUAGES
    }
