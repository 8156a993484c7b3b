import pytest

from pathwise_runtime.topics import PartitionLog, identity_problem

pytestmark = pytest.mark.unit


def test_same_incarnation_and_longer_log_is_fine() -> None:
    assert identity_problem("t", 0, 10, "a", PartitionLog(0, 20, "a")) is None


def test_a_different_creation_marker_is_a_recreated_topic() -> None:
    problem = identity_problem("t", 0, 10, "a", PartitionLog(0, 20, "b"))
    assert problem and "recreated" in problem and "pathwise replay" in problem


def test_a_log_that_ends_below_the_watermark_was_truncated() -> None:
    problem = identity_problem("t", 3, 10, "a", PartitionLog(0, 10, None))
    assert problem and "t[3]" in problem and "truncated" in problem


def test_a_trimmed_log_without_its_marker_is_judged_by_its_end() -> None:
    assert identity_problem("t", 0, 10, "a", PartitionLog(5, 30, None)) is None
