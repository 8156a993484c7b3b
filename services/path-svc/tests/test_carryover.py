"""Evidence carried over through CASE associations, and the replan reason from a diff."""

from __future__ import annotations

import pytest

from path_svc.domain.carryover import RELATED_WEIGHT, carry, reason, translate
from path_svc.domain.framework import Competency, Framework
from path_svc.domain.package import Link
from path_svc.domain.planner import Standing

pytestmark = pytest.mark.unit

OLD = Framework(
    "math",
    [Competency(c, c) for c in ("3.OA.A.1", "3.OA.A.2", "3.OA.A.3", "3.NF.A.1")],
    title="Math",
    version="1",
)
NEW = Framework(
    "math",
    [Competency(c, c) for c in ("3.OA.A.1a", "3.OA.A.1b", "3.OA.A.2", "3.OA.B.9", "3.OA.A.3x")],
    title="Math",
    version="2",
)
LINKS = (
    Link("replacedBy", "3.OA.A.1a", "3.OA.A.1"),
    Link("replacedBy", "3.OA.A.1b", "3.OA.A.1"),
    Link("isRelatedTo", "3.OA.A.3x", "3.OA.A.3"),
)


def test_replaced_and_exact_codes_carry_the_estimate_related_seeds_a_weaker_prior() -> None:
    estimates = {
        "3.OA.A.1": Standing(0.97, 6),
        "3.OA.A.2": Standing(0.5, 2),
        "3.OA.A.3": Standing(0.9, 4),
        "3.NF.A.1": Standing(0.6, 3),
    }
    carried = carry(estimates, NEW, LINKS)
    assert carried.estimates["3.OA.A.1a"] == Standing(0.97, 6)
    assert carried.estimates["3.OA.A.1b"] == Standing(0.97, 6)
    assert carried.estimates["3.OA.A.2"] == Standing(0.5, 2)  # same code: kept
    prior = NEW["3.OA.A.3x"].params.p_init
    assert carried.estimates["3.OA.A.3x"] == Standing(prior + RELATED_WEIGHT * (0.9 - prior), 0)
    assert carried.estimates["3.OA.A.3x"].p < 0.9
    assert carried.history == ("3.NF.A.1",)  # no association: kept as history, not planned
    assert carried.estimates["3.NF.A.1"] == Standing(0.6, 3)
    assert "3.OA.B.9" not in carried.estimates


def test_a_codes_own_evidence_wins_and_exact_match_beats_related() -> None:
    links = (
        Link("exactMatchOf", "3.OA.A.2", "3.OA.A.3"),
        Link("isRelatedTo", "3.OA.B.9", "3.OA.A.1"),
        Link("exactMatchOf", "3.OA.B.9", "3.OA.A.3"),
    )
    estimates = {
        "3.OA.A.2": Standing(0.3, 1),
        "3.OA.A.3": Standing(0.8, 5),
        "3.OA.A.1": Standing(0.99, 9),
    }
    carried = carry(estimates, NEW, links)
    assert carried.estimates["3.OA.A.2"] == Standing(0.3, 1)
    assert carried.estimates["3.OA.B.9"] == Standing(0.8, 5)


def test_no_evidence_nothing_carried() -> None:
    assert carry({}, NEW, LINKS).estimates == {}


def test_the_reason_names_replacements_additions_and_removals() -> None:
    why = reason(OLD, NEW, LINKS)
    assert why.startswith("framework changed to Math version 2: ")
    assert "3.OA.A.1 replaced by 3.OA.A.1a, 3.OA.A.1b" in why
    assert "3.OA.A.3 related to 3.OA.A.3x" in why
    assert "added 3.OA.B.9" in why
    assert "removed 3.NF.A.1" in why


def test_a_long_list_is_counted_not_spelled_out() -> None:
    many = Framework("big", [Competency(f"c{i:02}", "x") for i in range(20)], title="Big")
    why = reason(OLD, many)
    assert "added c00, c01, c02, c03, c04, c05 and 14 more" in why
    assert "(was Math)" in why


def test_goals_follow_their_codes_and_unknown_ones_are_dropped() -> None:
    goals = ["3.OA.A.1", "3.OA.A.2", "3.NF.A.1", "3.OA.A.3"]
    assert translate(goals, NEW, LINKS) == ["3.OA.A.1a", "3.OA.A.1b", "3.OA.A.2"]
