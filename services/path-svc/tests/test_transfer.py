"""Cross-competency transfer and count inputs of the next-answer model: the online state
matches what the fit computes, and the fit finds which competencies go together."""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest

from path_svc.domain import evaluation, response, response_fit, transfer
from path_svc.domain.mastery import BktParams
from path_svc.domain.response import COUNT_KEEP, ResponseModel, SkillModel, StudentState
from path_svc.tools.parameters import ResponseTable

pytestmark = pytest.mark.unit

ZEROS = (0.0,) * len(response.FEATURES)


def plain(related: dict[str, tuple[tuple[str, float], ...]] | None = None) -> ResponseModel:
    links = related or {}
    skills = {s: SkillModel(BktParams(), 0.6, ZEROS, links.get(s, ())) for s in "abc"}
    return ResponseModel(skills, SkillModel(BktParams(), 0.6, ZEROS))


def test_decayed_counts_weigh_each_answer_by_how_long_ago_it_was() -> None:
    model, student = plain(), StudentState()
    for skill, y in (("a", 1.0), ("a", 0.0), ("b", 1.0), ("a", 1.0), ("c", 0.0)):
        response.update(model, student, skill, y)
    wins, losses = student.skills["a"].counts(student.answered)
    # Answers on a at positions 0 (right), 1 (wrong), 3 (right); 5 answers so far.
    assert wins == pytest.approx(COUNT_KEEP**4 + COUNT_KEEP**1)
    assert losses == pytest.approx(COUNT_KEEP**3)


def test_the_online_record_equals_the_one_the_fit_regresses_on() -> None:
    answers = [("a", 1.0), ("b", 0.0), ("a", 1.0), ("c", 1.0), ("b", 1.0), ("a", 0.0)]
    rows = transfer.deviations({"s": answers}, ("a", "b", "c"))
    model, student = plain(), StudentState()
    for n, (skill, y) in enumerate(answers):
        for j, other in enumerate("abc"):
            state = student.skills.get(other)
            online = response.deviation(state, student.answered) if state else 0.0
            expected = 0.0 if other == skill else online
            assert rows[n, j] == pytest.approx(expected, abs=1e-6)
        response.update(model, student, skill, y)


def test_transfer_reads_the_related_competencies_only() -> None:
    model = plain({"b": (("a", 2.0),)})
    student = StudentState()
    assert response.transfer(model.of("b"), student, "b") == 0.0
    response.update(model, student, "c", 0.0)
    assert response.transfer(model.of("b"), student, "b") == 0.0
    response.update(model, student, "a", 1.0)
    assert response.transfer(model.of("b"), student, "b") == pytest.approx(2.0 * 1.0 / 2.0)
    assert response.transfer(model.of("a"), student, "a") == 0.0


def linked(students: int, seed: int) -> evaluation.History:
    """a and b share a hidden sub-skill the student has or lacks; c does not."""
    rng = random.Random(seed)
    history: dict[str, list[tuple[str, float]]] = {}
    for i in range(students):
        shared = rng.gauss(0.0, 1.5)
        own = rng.gauss(0.0, 1.5)
        answers: list[tuple[str, float]] = []
        for skill, trait in (("a", shared), ("c", own), ("b", shared)):
            p = 1 / (1 + math.exp(-trait))
            answers.extend((skill, 1.0 if rng.random() < p else 0.0) for _ in range(10))
        history[f"s{i}"] = answers
    return history


def test_the_fit_finds_that_b_follows_a_and_the_link_travels_in_the_file(
    tmp_path: Path,
) -> None:
    model = response_fit.fit(linked(300, 3)).model
    weights = dict(model.of("b").related)
    assert weights["a"] > 0.0
    assert weights["a"] > abs(weights.get("c", 0.0))
    table = ResponseTable(model, {"source": "synthetic"})
    table.write(tmp_path / "m.json")
    again = ResponseTable.read(tmp_path / "m.json").model
    assert dict(again.of("b").related) == pytest.approx(weights, abs=1e-5)


def test_the_state_with_counts_round_trips_exactly() -> None:
    model, student = plain({"b": (("a", 1.5),)}), StudentState()
    for skill, y in (("a", 1.0), ("b", 0.0), ("a", 1.0)):
        response.update(model, student, skill, y)
    again = response.load(response.dump(student))
    assert again == student
    assert np.isclose(response.predict(model, again, "b"), response.predict(model, student, "b"))
