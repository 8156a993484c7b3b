"""Vonage's ``sig``, checked against the value Vonage's own SDK computes for the same input."""

from __future__ import annotations

import pytest

from notify_svc.domain.delivery_status import outcome
from notify_svc.domain.signature import valid_vonage_signature, vonage_signature

pytestmark = pytest.mark.unit

# The Vonage Python SDK's test vector for the default method (MD5 hash).
SDK_PARAMS = {"a": "1", "b": "2", "timestamp": "1461605396"}
SDK_SIG = "6af838ef94998832dbfc29020b564830"


def test_md5hash_matches_the_sdk_vector() -> None:
    assert vonage_signature("secret", SDK_PARAMS, "md5hash") == SDK_SIG
    assert valid_vonage_signature(
        "secret", {**SDK_PARAMS, "sig": SDK_SIG.upper()}, "md5hash", now=1461605396 + 60
    )


def test_values_cannot_smuggle_separators_and_time_is_bounded() -> None:
    params = {"text": "a=b&c", "timestamp": "1000"}
    sig = vonage_signature("k", params, "sha256")
    assert sig == vonage_signature("k", {"text": "a_b_c", "timestamp": "1000"}, "sha256")
    assert valid_vonage_signature("k", {**params, "sig": sig}, "sha256", now=1200)
    assert not valid_vonage_signature("k", {**params, "sig": sig}, "sha256", now=1400)
    assert not valid_vonage_signature("k", {**params, "sig": sig}, "sha512", now=1000)
    assert not valid_vonage_signature("k", params, "sha256", now=1000)
    with pytest.raises(ValueError, match="md5hash"):
        vonage_signature("k", params, "crc32")


def test_provider_words_map_to_three_outcomes() -> None:
    assert [outcome(w) for w in ("delivered", "DELIVERED", "read")] == ["delivered"] * 3
    assert {outcome(w) for w in ("undelivered", "failed", "expired", "rejected")} == {
        "not_delivered"
    }
    assert {outcome(w) for w in ("queued", "sent", "accepted", "buffered", "unknown")} == {
        "pending"
    }
