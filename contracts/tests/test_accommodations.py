"""The accommodation catalogue is well-formed: codes fit the profile's tag syntax, values parse."""

from __future__ import annotations

import re

import pytest

from pathwise_contracts import Modality
from pathwise_contracts.accommodations import BY_CODE, CATALOGUE, KNOWN, parse, resolve

TAG = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,79}$")


def test_codes_are_unique_tags_and_every_entry_says_what_it_means() -> None:
    assert len(KNOWN) == len(CATALOGUE) == len(BY_CODE)
    for a in CATALOGUE:
        assert TAG.match(a.code) and a.planning and a.label
        assert ("{value}" in a.label) == (a.value is not None), a.code
        assert (a.effect == "only_modality") == (a.modality is not None), a.code


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda a: a.code)
def test_the_default_or_an_example_value_parses(entry: object) -> None:
    code = entry.code  # type: ignore[attr-defined]
    value = {"language": "es", "modality": Modality.PEER_TUTORING.value, "device": "calculator"}
    example = value.get(entry.value or "")  # type: ignore[attr-defined]
    r = parse(f"{code}:{example}" if example else code)
    assert TAG.match(r.code) and r.accommodation is entry and "{" not in r.label


def test_resolve_skips_what_the_catalogue_does_not_know() -> None:
    assert [r.code for r in resolve(["read_aloud", "made_up", "extended_time:2"])] == [
        "read_aloud",
        "extended_time:2",
    ]


def test_the_grouping_meaning_matches_the_rule() -> None:
    expected = {
        "only_in_modality": {"only_modality"},
        "never_grouped": {"only_modality"},
        "never_in_modality": {"forbid_modality"},
        "language": {"annotation"},
        "none": {"prefer_modality", "session_time", "session_cap", "item_count", "annotation"},
    }
    for a in CATALOGUE:
        assert a.effect in expected[a.grouping], a.code
    never = [a for a in CATALOGUE if a.grouping == "never_grouped"]
    assert all(a.modality is Modality.ONE_ON_ONE_TUTORING for a in never)
