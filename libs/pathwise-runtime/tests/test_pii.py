import pytest
from cryptography.exceptions import InvalidTag

from pathwise_runtime.pii import Keyring, LegacyKeyRefused
from pathwise_runtime.settings import ServiceSettings

pytestmark = pytest.mark.unit


def test_round_trip_and_no_plaintext_in_the_ciphertext() -> None:
    ring = Keyring(b"k" * 32, legacy=True)
    value = ring.encrypt("g-1", "parent@example.org")
    assert "parent" not in value.model_dump_json()
    assert ring.decrypt(value) == "parent@example.org"


def test_another_subjects_key_cannot_open_it() -> None:
    ring = Keyring(b"k" * 32, legacy=True)
    value = ring.encrypt("g-1", "secret")
    forged = value.model_copy(update={"kid": "subject:g-2:1"})
    with pytest.raises(InvalidTag):
        ring.decrypt(forged)


def test_values_sealed_with_derived_keys_are_refused_unless_the_deployment_opts_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A derived key can be derived again, so erasure could never destroy what it sealed."""
    value = Keyring(b"k" * 32, legacy=True).encrypt("g-1", "parent@example.org")
    with pytest.raises(LegacyKeyRefused, match="PATHWISE_PII_LEGACY_KEYS"):
        Keyring(b"k" * 32).decrypt(value)
    monkeypatch.setenv("PATHWISE_PII_KEY", "a" * 43)
    assert not Keyring.from_settings(ServiceSettings()).legacy
    monkeypatch.setenv("PATHWISE_PII_LEGACY_KEYS", "true")
    assert Keyring.from_settings(ServiceSettings()).legacy
