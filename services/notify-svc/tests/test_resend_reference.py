"""A message sent again after an unknown outcome keeps its reference (its Message-ID,
its SMS client reference) and is never merged into another digest of the family."""

from __future__ import annotations

import uuid

import pytest

from notify_svc.commands.claims import Job
from notify_svc.commands.targets import Target
from notify_svc.commands.unknowns import message_ref, reference_of

pytestmark = pytest.mark.unit


def _job(resent_ref: str | None = None) -> Job:
    target = Target(str(uuid.uuid4()), "s-1", "d1", "g-1", "email", str(uuid.uuid4()))
    return Job(target, 1, True, None, "en", None, None, resent_ref=resent_ref)


def test_a_resent_message_keeps_its_first_reference() -> None:
    first = [_job(), _job()]
    ref = message_ref([j.target.notification_id for j in first])
    again = [_job(ref), _job(ref)]
    ids = [j.target.notification_id for j in again]
    assert reference_of(ids, [j.resent_ref for j in again]) == ref
    assert reference_of(ids, [None, None]) == message_ref(ids)  # a first send: from its ids


def test_a_resent_message_is_its_own_group() -> None:
    fresh, resent = _job(), _job(str(uuid.uuid4()))
    assert fresh.group[:3] == resent.group[:3] and fresh.group != resent.group
