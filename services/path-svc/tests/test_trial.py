"""The simulated trial: Pathwise paths do at least as well as a fixed sequence; intervals
over seeds."""

from __future__ import annotations

import statistics

import pytest

from path_svc.domain import catalogue
from path_svc.tools import trials
from path_svc.tools.trial import run
from path_svc.tools.trials import interval, t975

pytestmark = pytest.mark.unit


def test_pathwise_masters_at_least_as_much_as_the_fixed_sequence() -> None:
    result = run(students=40, weeks=6, seed=3)
    pathwise, fixed = result["arms"]["pathwise"], result["arms"]["fixed"]
    assert pathwise.mastery_rate >= fixed.mastery_rate
    assert pathwise.sessions_per_mastery <= fixed.sessions_per_mastery


def test_the_same_seed_gives_the_same_figures() -> None:
    assert run(students=5, weeks=2, seed=9) == run(students=5, weeks=2, seed=9)


def test_an_empty_population_is_refused() -> None:
    with pytest.raises(ValueError, match="students"):
        run(students=0, weeks=1)


def test_random_order_is_an_arm_and_learned_counts_only_the_trial() -> None:
    result = run(students=30, weeks=6, seed=4)
    arms = result["arms"]
    assert set(arms) == {"pathwise", "fixed", "random"}
    start = arms["pathwise"].mastered_mean - arms["pathwise"].learned_mean
    for o in arms.values():  # every arm starts from the same students
        assert o.mastered_mean - o.learned_mean == pytest.approx(start, abs=1e-2)
        assert 0 <= o.learned_mean <= o.competencies


def test_intervals_over_seeds_are_student_t() -> None:
    values = [10.0, 12.0, 11.0, 13.0]
    i = interval(values)
    assert i.mean == 11.5
    assert i.half_width == pytest.approx(3.182 * statistics.stdev(values) / 2, abs=1e-3)
    assert t975(9) == 2.262 and t975(11) == 2.228 and t975(500) == 1.96
    with pytest.raises(ValueError):
        t975(0)


def test_several_seeds_give_intervals_per_arm_and_paired_gains() -> None:
    result = trials.run(students=10, weeks=3, seeds=[1, 2, 3])
    assert set(result["arms"]) == {"pathwise", "fixed", "random"}
    for figures in result["arms"].values():
        learned = figures["learned_mean"]
        assert learned.low <= learned.mean <= learned.high
    assert set(result["pathwise_gain"]) == {"fixed", "random"}
    with pytest.raises(ValueError, match="2 seeds"):
        trials.run(students=5, weeks=1, seeds=[1])


def test_another_bundled_framework_can_be_simulated() -> None:
    framework = catalogue.load("ccssm-3-5")
    result = trials.run(students=4, weeks=2, seeds=[1, 2], framework=framework)
    assert result["framework"] == framework.name
    assert result["competencies"] == len(framework.competencies)
