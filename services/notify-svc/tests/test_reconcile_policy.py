"""Settling an unknown delivery: the decision alone, without a provider or a database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from notify_svc.domain.reconcile import Answer, Policy, reason, settle

pytestmark = pytest.mark.unit

POLICY = Policy(grace=timedelta(minutes=2), give_up=timedelta(minutes=15), resends=1)
MIN = timedelta(minutes=1)


def decide(answer: Answer, send: int, unknown: int, resends: int = 0) -> str:
    return settle(
        answer, since_send=send * MIN, since_unknown=unknown * MIN, resends=resends, policy=POLICY
    )


def test_what_the_provider_has_is_recorded_sent_whenever_it_is_found() -> None:
    assert decide("found", 0, 0) == "record_sent"
    assert decide("found", 60, 60, resends=1) == "record_sent"  # even after the deadline


def test_a_provider_saying_it_never_got_it_is_believed_only_after_the_grace() -> None:
    assert decide("absent", 1, 1) == "wait"  # its records may lag the request
    assert decide("absent", 2, 2) == "resend"
    assert decide("absent", 3, 8, resends=1) == "give_up"  # sent again once already


def test_an_unreachable_provider_is_asked_again_until_the_deadline() -> None:
    assert decide("unavailable", 5, 5) == "wait"
    assert decide("unavailable", 14, 14) == "wait"
    assert decide("unavailable", 15, 15) == "give_up"


def test_a_relay_without_lookup_gets_the_same_message_id_once_more() -> None:
    assert decide("no_lookup", 0, 0) == "resend"
    assert decide("no_lookup", 0, 1, resends=1) == "give_up"


def test_nothing_is_resent_after_the_deadline() -> None:
    assert decide("absent", 16, 16) == "give_up"
    assert decide("absent", 1, 16) == "give_up"  # a late resend that is unknown again


@pytest.mark.parametrize("answer", ["absent", "unavailable", "no_lookup"])
def test_every_reason_is_plain_words_without_an_address(answer: Answer) -> None:
    for action in ("resend", "give_up"):
        for resends in (0, 1):
            text = reason(action, answer, resends)  # type: ignore[arg-type]
            assert text.startswith("outcome unknown") and "@" not in text


def test_a_give_up_says_whether_it_was_sent_again() -> None:
    assert "after it was sent again" in reason("give_up", "absent", 1)
    assert "time ran out" in reason("give_up", "absent", 0)
    assert "could not be asked" in reason("give_up", "unavailable", 1)
