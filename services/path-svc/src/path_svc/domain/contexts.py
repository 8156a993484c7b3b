"""Interest tags per mathematics domain: the contexts a project on it naturally uses.

A planner ordering by interests needs competencies and interests in the same
vocabulary. Standards carry no such tags, so they come from the domain of the
code (``3.MD.C.7`` is measurement and data), which is how teachers pick a
context for a project: fractions in a recipe or a rhythm, area in a floor
plan. Tags are lower-case words, as profile-svc stores interests.
"""

from __future__ import annotations

import functools

DOMAIN_TAGS: dict[str, frozenset[str]] = {
    "OA": frozenset({"games", "puzzles", "sports", "patterns"}),
    "NBT": frozenset({"money", "shopping", "sports", "games"}),
    "NF": frozenset({"cooking", "music", "art", "food"}),
    "MD": frozenset({"sports", "science", "cooking", "building", "nature", "animals"}),
    "G": frozenset({"art", "building", "design", "space"}),
    "RP": frozenset({"cooking", "sports", "money", "science"}),
    "NS": frozenset({"money", "games", "space", "science"}),
    "EE": frozenset({"puzzles", "games", "science", "coding"}),
    "SP": frozenset({"sports", "science", "games", "animals"}),
    "F": frozenset({"science", "coding", "space", "money"}),
    "CC": frozenset({"games", "animals", "music"}),
}


@functools.cache
def tags(code: str) -> frozenset[str]:
    """The interest tags of a competency code such as ``3.NF.A.1`` (empty if unknown)."""
    parts = code.split(".")
    return DOMAIN_TAGS.get(parts[1], frozenset()) if len(parts) > 1 else frozenset()
