"""Accommodation codes as a roster cell carries them, checked against the catalogue.

OneRoster has no field for accommodations, so Pathwise reads the binding's
extension column ``metadata.pathwise.accommodations``: catalogue codes
(``pathwise_contracts.accommodations``) separated by spaces or semicolons
(commas already separate lists in the binding), ``none`` for none.
"""

from __future__ import annotations

import re

from pathwise_contracts import accommodations as catalogue


def accommodation_codes(cell: str | None) -> list[str] | None:
    """The codes of a cell; None when it is empty (the profile stays as it is), [] for none."""
    if cell is None or not cell.strip():
        return None
    parts = [p for p in re.split(r"[\s;]+", cell.strip()) if p]
    return [] if [p.lower() for p in parts] == ["none"] else list(dict.fromkeys(parts))


def refusal(cell: str | None) -> str | None:
    """Why the cell's codes cannot be accepted (naming the code and the known codes), or None."""
    found = catalogue.problems(accommodation_codes(cell) or [])
    if not found:
        return None
    _, why = found[0]
    return f"{why}; known codes: {', '.join(catalogue.KNOWN)}"
