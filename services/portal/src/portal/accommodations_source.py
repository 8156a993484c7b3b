"""Where the administrator's accommodations page reads from: one small adapter.

The codes in use in the district (profile-svc, with how many students have
each), against the shared catalogue (``pathwise_contracts.accommodations``):
every catalogue code is a hard constraint on planning or an annotation on each
step; its meaning shows in the portal's languages (``accommodation.<code>``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pathwise_contracts.accommodations import BY_CODE, CATALOGUE
from portal.upstream import Upstream

KNOWN = tuple(a.code for a in CATALOGUE)
"""Codes with a meaning in the catalogue (``accommodation.<code>``); others show as written."""


@dataclass(frozen=True, slots=True)
class Accommodation:
    code: str
    students: int
    known: bool

    @property
    def status(self) -> str:
        """The catalogue key saying what planning does with it."""
        entry = BY_CODE.get(self.code)
        if entry is None:
            return "admin.recorded"
        return "admin.enforced" if entry.hard else "admin.annotated"


def rows(in_use: list[dict[str, object]]) -> list[Accommodation]:
    """Every known code (zero students if unused), then unknown codes in use, by code."""
    counts = {str(r["code"]): int(str(r["students"])) for r in in_use}
    listed = [Accommodation(code, counts.pop(code, 0), True) for code in KNOWN]
    return listed + [Accommodation(code, n, False) for code, n in sorted(counts.items())]


async def load(up: Upstream, token: str) -> list[Accommodation]:
    return rows(await up.get("profile", "/v1/district/accommodations", token))
