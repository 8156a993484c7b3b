from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathwise_runtime import watermarks
from pathwise_runtime.watermarks import Watermark

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class Rec:
    topic: str
    partition: int
    offset: int


def test_records_at_or_below_the_watermark_are_skipped() -> None:
    marks = {("t", 0): Watermark(5, None)}
    recs = [Rec("t", 0, 4), Rec("t", 0, 5), Rec("t", 0, 6), Rec("t", 1, 0)]
    assert watermarks.unapplied(recs, marks) == [Rec("t", 0, 6), Rec("t", 1, 0)]


def test_advance_reports_the_highest_offset_per_partition() -> None:
    marks = {("t", 0): Watermark(5, None)}
    recs = [Rec("t", 0, 7), Rec("t", 0, 6), Rec("t", 1, 3)]
    assert watermarks.advance(marks, recs) == {("t", 0): 7, ("t", 1): 3}


def test_advance_never_moves_backwards() -> None:
    marks = {("t", 0): Watermark(9, None)}
    assert watermarks.advance(marks, [Rec("t", 0, 3)]) == {}


deliveries = st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=12)


@given(deliveries)
def test_any_redelivery_pattern_applies_each_offset_exactly_once(
    runs: list[tuple[int, int]],
) -> None:
    """Kafka may rewind to any committed-or-earlier offset and deliver again;
    each offset that was ever delivered is applied exactly once."""
    applied: list[int] = []
    marks: watermarks.Watermarks = {}
    delivered_up_to = -1
    for rewind, length in runs:
        start = max(0, min(rewind, delivered_up_to + 1))  # never skips past the log
        recs = [Rec("t", 0, o) for o in range(start, start + length)]
        fresh = watermarks.unapplied(recs, marks)
        applied.extend(r.offset for r in fresh)
        for key, off in watermarks.advance(marks, fresh).items():
            marks[key] = Watermark(off, None)
        delivered_up_to = max(delivered_up_to, start + length - 1)
    assert applied == list(range(delivered_up_to + 1))
