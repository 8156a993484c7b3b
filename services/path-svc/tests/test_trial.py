"""The simulated trial: Pathwise paths do at least as well as one fixed sequence."""

from __future__ import annotations

import pytest

from path_svc.tools.trial import run

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
