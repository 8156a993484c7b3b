"""Retry schedule and error scrubbing: pure rules the sender relies on."""

from __future__ import annotations

import random

import pytest

from notify_svc.domain.backoff import Backoff
from notify_svc.domain.redaction import MAX_LENGTH, scrub

pytestmark = pytest.mark.unit


def test_ceiling_doubles_until_the_cap() -> None:
    backoff = Backoff(base_s=5, cap_s=60, retries=5)
    assert [backoff.ceiling(n) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]


def test_delay_is_jittered_between_half_and_the_whole_ceiling() -> None:
    backoff = Backoff(base_s=4, cap_s=1000, retries=5)
    rng = random.Random(7)
    for attempt in range(1, 6):
        delays = {backoff.delay(attempt, rng) for _ in range(50)}
        ceiling = backoff.ceiling(attempt)
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jitter spreads retries out


def test_five_retries_after_the_first_attempt_then_give_up() -> None:
    backoff = Backoff(retries=5)
    assert backoff.max_attempts == 6
    assert [backoff.exhausted(n) for n in range(1, 7)] == [False] * 5 + [True]


def test_no_retries_gives_up_after_the_first_failure() -> None:
    assert Backoff(retries=0).exhausted(1)


def test_scrub_removes_addresses_and_numbers_but_keeps_the_status() -> None:
    text = scrub("550 5.1.1 <ana.lopez@example.org>: mailbox unavailable, call +1 (555) 123-4567")
    assert "ana.lopez" not in text and "example.org" not in text
    assert "555" not in text and "4567" not in text
    assert text.startswith("550 5.1.1 <[address]>")


def test_scrub_bounds_the_length() -> None:
    assert len(scrub("x" * 2000)) == MAX_LENGTH
