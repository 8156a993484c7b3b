"""Folding a batch keeps log order whichever way the log is cut into batches."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pathwise_contracts import (
    Channel,
    ContactPreferencesChanged,
    Envelope,
    Event,
    GuardianLinked,
    derive_event_id,
)
from pathwise_runtime.projection import Delivered
from profile_svc.projections.profiles import collect

pytestmark = pytest.mark.unit


def delivered(event: Event, n: int) -> Delivered:
    envelope = Envelope.wrap(
        event,
        id=derive_event_id("test", str(n)),
        source="urn:pathwise:test",
        district_id="d1",
        time=datetime(2026, 9, 1, n, tzinfo=UTC),
    )
    return Delivered(envelope, event, "profile.events.v1", 0, n)


LINK = GuardianLinked(
    student_id="s",
    guardian_id="g",
    relationship="mother",
    educational_rights=True,
    consent={Channel.EMAIL: True},
)
CHANGE = ContactPreferencesChanged(
    student_id="s", guardian_id="g", language="es", consent={Channel.SMS: True}
)


def test_a_change_after_a_link_in_the_batch_is_merged_into_the_row() -> None:
    changes = collect([delivered(LINK, 1), delivered(CHANGE, 2)])
    row = changes.guardians[("d1", "s", "g")]
    assert (row["language"], row["consent"]) == ("es", '{"sms": true}')
    assert row["linked_at"] == datetime(2026, 9, 1, 1, tzinfo=UTC)
    assert changes.contacts == {}


def test_a_change_alone_updates_an_earlier_link() -> None:
    changes = collect([delivered(CHANGE, 2)])
    assert changes.guardians == {}
    assert changes.contacts[("d1", "s", "g")]["language"] == "es"


def test_a_link_after_a_change_replaces_it() -> None:
    changes = collect([delivered(CHANGE, 1), delivered(LINK, 2)])
    assert changes.contacts == {}
    assert changes.guardians[("d1", "s", "g")]["language"] == "en"
