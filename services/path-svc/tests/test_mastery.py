"""BKT update: bounded, never punishes a correct answer, rewards more credit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from path_svc.domain.mastery import MASTERED, BktParams, fraction, observe

pytestmark = pytest.mark.unit

probability = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def params(draw: st.DrawFn, forget: bool = True) -> BktParams:
    guess = draw(st.floats(min_value=0.0, max_value=0.49))
    slip = draw(st.floats(min_value=0.0, max_value=0.49))
    learn = draw(probability)
    return BktParams(
        p_init=draw(probability),
        p_learn=learn,
        p_guess=guess,
        p_slip=slip,
        p_forget=draw(st.floats(min_value=0.0, max_value=1.0 - learn)) if forget else 0.0,
    )


@given(p=probability, credit=probability, bkt=params())
def test_estimate_stays_a_probability(p: float, credit: float, bkt: BktParams) -> None:
    assert 0.0 <= observe(p, credit, bkt) <= 1.0


@given(p=probability, bkt=params(forget=False))
def test_a_correct_answer_never_lowers_mastery_without_forgetting(p: float, bkt: BktParams) -> None:
    assert observe(p, 1.0, bkt) >= p - 1e-12


@given(p=probability, low=probability, high=probability, bkt=params())
def test_more_credit_never_gives_a_lower_estimate(
    p: float, low: float, high: float, bkt: BktParams
) -> None:
    low, high = sorted((low, high))
    assert observe(p, low, bkt) <= observe(p, high, bkt) + 1e-12


def test_partial_credit_lies_between_wrong_and_right() -> None:
    bkt = BktParams()
    wrong, half, right = (observe(0.5, f, bkt) for f in (0.0, 0.5, 1.0))
    assert wrong < half < right


def test_a_run_of_correct_answers_reaches_mastery() -> None:
    p, bkt = BktParams().p_init, BktParams()
    for _ in range(4):
        p = observe(p, 1.0, bkt)
    assert p >= MASTERED


def test_fraction_is_score_over_max_clamped() -> None:
    assert fraction(3, 4) == 0.75
    assert fraction(5, 4) == 1.0


@pytest.mark.parametrize(
    "bad",
    [
        {"p_learn": 1.5},
        {"p_slip": -0.1},
        {"p_guess": 0.6, "p_slip": 0.5},
        {"p_learn": 0.6, "p_forget": 0.5},
    ],
)
def test_params_reject_impossible_values(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        BktParams(**bad)
