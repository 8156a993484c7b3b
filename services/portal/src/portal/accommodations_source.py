"""Where the administrator's accommodations page reads from: one small adapter.

Today: the accommodation codes profile-svc knows are in use in the district,
with how many students have each, and what each known code means for the
plan (the catalogue's text in the portal's languages). When path-svc serves
its accommodations catalogue over HTTP, only ``load`` changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.upstream import Upstream

KNOWN = (
    "extended_time",
    "read_aloud",
    "reduced_item_count",
    "breaks",
    "home_language",
    "assistive_technology",
    "small_group_instruction",
    "one_on_one_instruction",
)
"""Codes with a meaning in the catalogue (``accommodation.<code>``); others show as written."""
ENFORCED = frozenset({"small_group_instruction", "one_on_one_instruction"})
"""The codes path-svc's planner enforces today (``REQUIRED`` in its modality rules);
the page says so, and that the others are recorded but not yet planned for."""


@dataclass(frozen=True, slots=True)
class Accommodation:
    code: str
    students: int
    known: bool

    @property
    def enforced(self) -> bool:
        return self.code in ENFORCED


def rows(in_use: list[dict[str, object]]) -> list[Accommodation]:
    """Every known code (zero students if unused), then unknown codes in use, by code."""
    counts = {str(r["code"]): int(str(r["students"])) for r in in_use}
    listed = [Accommodation(code, counts.pop(code, 0), True) for code in KNOWN]
    return listed + [Accommodation(code, n, False) for code, n in sorted(counts.items())]


async def load(up: Upstream, token: str) -> list[Accommodation]:
    return rows(await up.get("profile", "/v1/district/accommodations", token))
