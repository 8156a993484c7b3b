"""Answer histories from CSV files, for fitting and evaluating the mastery model.

Accepts the ASSISTments layout (``user_id, skill_name, correct``) and, for
partial credit, ``score`` and ``max_score`` columns instead of ``correct``.
An ``item_id`` (or ``problem_id``) column, where present, names each answer's
item, for the model's per-item difficulty (``read_items``).
Rows are taken in file order, which must be each student's answering order.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from path_svc.domain.evaluation import History
from path_svc.domain.mastery import fraction

STUDENT_COLUMNS = ("user_id", "student_id")
SKILL_COLUMNS = ("skill_name", "skill_id", "competency_id")
ITEM_COLUMNS = ("item_id", "problem_id")


def read(path: Path) -> History:
    """Per student, ``(skill, fraction right)`` in file order."""
    history: dict[str, list[tuple[str, float]]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        student = _column(header, STUDENT_COLUMNS, path)
        skill = _column(header, SKILL_COLUMNS, path)
        graded = "correct" in header
        if not graded and not {"score", "max_score"} <= set(header):
            raise ValueError(f"{path}: needs a 'correct' or 'score' and 'max_score' column")
        for line, row in enumerate(reader, start=2):
            try:
                value = (
                    float(row["correct"])
                    if graded
                    else fraction(float(row["score"]), float(row["max_score"]))
                )
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{path}:{line}: not a number ({exc})") from None
            history.setdefault(row[student], []).append((row[skill], min(max(value, 0.0), 1.0)))
    return history


def _column(header: Sequence[str], names: tuple[str, ...], path: Path) -> str:
    for name in names:
        if name in header:
            return name
    raise ValueError(f"{path}: needs one of the columns {', '.join(names)}")


def read_items(path: Path) -> dict[str, list[str | None]] | None:
    """Per student, the item of each answer in file order; None if the file has no items."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        column = next((name for name in ITEM_COLUMNS if name in header), None)
        if column is None:
            return None
        student = _column(header, STUDENT_COLUMNS, path)
        items: dict[str, list[str | None]] = {}
        for row in reader:
            items.setdefault(row[student], []).append(row[column] or None)
    return items
