"""Mastery levels as teachers and families see them (same bands as path-svc)."""

from __future__ import annotations

from typing import Literal

Level = Literal["not_started", "familiar", "proficient", "mastered"]
LEVELS: tuple[Level, ...] = ("not_started", "familiar", "proficient", "mastered")
MASTERED = 0.95
PROFICIENT = 0.7


def level(p_mastery: float, attempts: int, mastered_at: float = MASTERED) -> Level:
    """The readable band for an estimate; ``mastered_at`` is the framework's threshold."""
    if attempts <= 0:
        return "not_started"
    if p_mastery >= mastered_at:
        return "mastered"
    return "proficient" if p_mastery >= PROFICIENT else "familiar"
