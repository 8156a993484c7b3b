import pytest

from pathwise_runtime.pii import Keyring

pytestmark = pytest.mark.unit


def test_round_trip_and_no_plaintext_in_the_ciphertext() -> None:
    ring = Keyring(b"k" * 32)
    value = ring.encrypt("g-1", "parent@example.org")
    assert "parent" not in value.model_dump_json()
    assert ring.decrypt(value) == "parent@example.org"


def test_another_subjects_key_cannot_open_it() -> None:
    ring = Keyring(b"k" * 32)
    value = ring.encrypt("g-1", "secret")
    forged = value.model_copy(update={"kid": "subject:g-2:1"})
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        ring.decrypt(forged)
