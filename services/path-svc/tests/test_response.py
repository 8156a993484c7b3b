"""The combined next-answer model: O(1) online state, predictions made before the answer,
fitting that beats BKT when students differ, and its files."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from path_svc.domain import catalogue, evaluation, next_answer, response, response_fit
from path_svc.domain.mastery import BktParams, observe
from path_svc.domain.response import FEATURES, ResponseModel, SkillModel, StudentState
from path_svc.tools import history
from path_svc.tools.parameters import ResponseTable

pytestmark = pytest.mark.unit

PARAMS = BktParams(p_init=0.3, p_learn=0.2, p_guess=0.2, p_slip=0.1)


def bkt_model(params: BktParams = PARAMS) -> ResponseModel:
    base = next_answer.bkt_only()
    return ResponseModel({}, SkillModel(params, base.share_right, base.weights))


def population(students: int, seed: int) -> evaluation.History:
    """Students whose ability shifts every skill's guess, slip and learn rate: what BKT,
    one parameter set per skill for everyone, cannot see and the ability can."""
    rng = random.Random(seed)
    history: dict[str, list[tuple[str, float]]] = {}
    for i in range(students):
        ability = rng.gauss(0.0, 1.2)
        answers: list[tuple[str, float]] = []
        for skill, hardness in (("a", -0.5), ("b", 0.0), ("c", 0.7)):
            known = rng.random() < 1 / (1 + math.exp(-(ability - hardness - 1.0)))
            for _ in range(12):
                p = 1 / (1 + math.exp(-(ability - hardness + (2.0 if known else -0.5))))
                answers.append((skill, 1.0 if rng.random() < p else 0.0))
                learn = 1 / (1 + math.exp(-(ability - 1.5)))
                known = known or rng.random() < learn
        history[f"s{i}"] = answers
    return history


def test_each_prediction_is_made_before_its_answer_is_seen() -> None:
    model = response_fit.fit(population(60, 1)).model
    answers = [("a", 1.0), ("b", 0.0), ("a", 1.0), ("c", 1.0)]
    flipped = [*answers[:2], ("a", 0.0), answers[3]]
    first, second = response.walk(model, answers), response.walk(model, flipped)
    assert first[:3] == second[:3]  # the changed answer moves only what comes after it
    assert first[3] != second[3]


def test_the_state_stays_the_same_size_however_long_the_history() -> None:
    model = bkt_model()
    short, long = StudentState(), StudentState()
    for n in range(10):
        response.update(model, short, "abc"[n % 3], float(n % 2))
    for n in range(5000):
        response.update(model, long, "abc"[n % 3], float(n % 2))
    assert set(long.skills) == {"a", "b", "c"}
    assert _values(response.dump(long)) == _values(response.dump(short))


def _values(data: object) -> int:
    """How many numbers (and strings) a dumped state holds."""
    if isinstance(data, dict):
        return sum(_values(v) for v in data.values())
    if isinstance(data, list):
        return sum(_values(v) for v in data)
    return 1


def test_bkt_only_weights_reproduce_bkt_exactly() -> None:
    model = bkt_model()
    answers = [("a", 1.0), ("a", 0.0), ("b", 1.0), ("a", 0.5), ("b", 1.0)]
    known = {"a": PARAMS.p_init, "b": PARAMS.p_init}
    expected = []
    for skill, value in answers:
        expected.append(response.bkt_right(known[skill], PARAMS))
        known[skill] = observe(known[skill], value, PARAMS)
    assert response.walk(model, answers) == pytest.approx(expected, abs=1e-9)


def test_right_answers_raise_the_ability_and_wrong_ones_lower_it() -> None:
    model = bkt_model()
    strong, weak = StudentState(), StudentState()
    for _ in range(8):
        response.update(model, strong, "a", 1.0)
        response.update(model, weak, "a", 0.0)
    assert strong.ability > 0 > weak.ability
    assert strong.skills["a"].right_run == 8 and weak.skills["a"].wrong_run == 8
    # With the bundled weights, what was seen on "a" carries over to a fresh competency.
    bundled = ResponseModel({}, next_answer.pooled())
    assert response.predict(bundled, strong, "b") > response.predict(bundled, weak, "b")


def test_the_fit_beats_bkt_on_students_it_never_saw() -> None:
    train, test = population(300, 2), population(100, 3)
    fitted = response_fit.fit(train)
    old = evaluation.score(test, fitted.bkt.params, fitted.bkt.default)
    new = evaluation.score_response(test, fitted.model)
    assert new.auc > old.auc + 0.01
    assert new.rmse < old.rmse
    assert new.answers == old.answers == 100 * 36


def test_a_competency_with_few_answers_keeps_close_to_the_pooled_weights() -> None:
    train = dict(population(200, 4))
    train["rare"] = [("rare", 1.0), ("rare", 0.0), ("rare", 1.0)]
    model = response_fit.fit(train).model
    pooled = np.array(model.default.weights)
    rare, common = np.array(model.of("rare").weights), np.array(model.of("a").weights)
    assert np.abs(rare - pooled).max() < np.abs(common - pooled).max()
    assert model.of("never-seen") is model.default


def test_newton_recovers_logistic_weights() -> None:
    rng = np.random.default_rng(5)
    x = np.column_stack([np.ones(20000), rng.normal(size=20000)])
    y = (rng.random(20000) < 1 / (1 + np.exp(-(0.5 - 1.5 * x[:, 1])))).astype(float)
    w = response_fit.newton(x, y, 1e-6, np.zeros(2), 25)
    assert w == pytest.approx([0.5, -1.5], abs=0.08)


def test_the_state_round_trips_and_missing_fields_take_defaults() -> None:
    model = response_fit.fit(population(40, 6)).model
    state = StudentState()
    for skill, value in population(1, 7)["s0"]:
        response.update(model, state, skill, value)
    again = response.load(json.loads(json.dumps(response.dump(state))))
    assert again == state
    older = response.dump(state)
    del older["overall_slow"]
    older["skills"]["a"] = older["skills"]["a"][:-1]  # as before wrong_run existed
    loaded = response.load(older)
    assert loaded.overall_slow == 0.0 and loaded.skills["a"].wrong_run == 0


def test_a_skill_model_needs_one_weight_per_feature() -> None:
    with pytest.raises(ValueError, match="weights"):
        SkillModel(PARAMS, 0.6, (1.0,))
    with pytest.raises(ValueError, match="share_right"):
        SkillModel(PARAMS, 1.0, (0.0,) * len(FEATURES))


def test_model_file_round_trips_and_rejects_other_features(tmp_path: Path) -> None:
    model = response_fit.fit(population(40, 8)).model
    table = ResponseTable(model, {"source": "synthetic"})
    table.write(tmp_path / "m.json")
    again = ResponseTable.read(tmp_path / "m.json")
    assert set(again.model.skills) == {"a", "b", "c"}
    assert again.model.default.weights == pytest.approx(model.default.weights, abs=1e-5)
    data = table.to_json()
    data["features"] = data["features"][:-1]
    with pytest.raises(ValueError, match="features"):
        ResponseTable.from_json(data)


def test_the_bundled_weights_fit_the_model_and_every_competency_keeps_its_bkt() -> None:
    weights = next_answer.pooled()
    assert weights.weights != next_answer.bkt_only().weights
    framework = catalogue.load_default()
    model = next_answer.for_framework(framework)
    for c in framework.competencies:
        assert model.of(c.code).bkt == c.params
        assert model.of(c.code).weights == weights.weights
    with pytest.raises(ValueError, match="format"):
        next_answer.pooled_from({"format": "other"})


def with_items(students: int, seed: int) -> tuple[evaluation.History, response_fit.Items]:
    """Answers on one competency whose items range from easy to hard."""
    rng = random.Random(seed)
    history: dict[str, list[tuple[str, float]]] = {}
    items: dict[str, list[str | None]] = {}
    for i in range(students):
        ability = rng.gauss(0.0, 0.5)
        answers, named = [], []
        for _ in range(20):
            item = rng.randrange(10)
            p = 1 / (1 + math.exp(-(ability + 2.0 - 0.45 * item)))
            answers.append(("a", 1.0 if rng.random() < p else 0.0))
            named.append(f"q{item}")
        history[f"s{i}"], items[f"s{i}"] = answers, named
    return history, items


def test_item_difficulty_helps_where_answers_name_their_items() -> None:
    (train, train_items), (test, test_items) = with_items(300, 9), with_items(100, 10)
    blind = response_fit.fit(train).model
    seeing = response_fit.fit(train, items=train_items).model
    assert seeing.items["q0"] > seeing.items["q9"]  # shares right: the easy item first
    without = evaluation.score_response(test, blind)
    with_ = evaluation.score_response(test, seeing, test_items)
    assert with_.auc > without.auc + 0.05
    # An item never seen in training counts as its competency's average.
    assert seeing.item_offset("q-new", seeing.of("a")) == 0.0


def test_items_are_read_where_the_file_has_them(tmp_path: Path) -> None:
    named = tmp_path / "items.csv"
    named.write_text("user_id,skill_name,problem_id,correct\n1,a,p1,1\n2,a,p2,0\n1,b,,1\n")
    plain = tmp_path / "plain.csv"
    plain.write_text("user_id,skill_name,correct\n1,a,1\n")
    assert history.read_items(named) == {"1": ["p1", None], "2": ["p2"]}
    assert history.read_items(plain) is None


def test_item_difficulties_travel_in_the_model_file(tmp_path: Path) -> None:
    train, items = with_items(50, 11)
    table = ResponseTable(response_fit.fit(train, items=items).model)
    table.write(tmp_path / "m.json")
    assert ResponseTable.read(tmp_path / "m.json").model.items == pytest.approx(
        table.model.items, abs=1e-5
    )
