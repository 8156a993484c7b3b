"""One keyring and one keystore per process, shared by the HTTP side, the ingest
worker and intake.

The keyring derives the district's identity key (and opens statements sealed
before they had stored keys); the keystore holds the erasable key each xAPI
agent's statements are sealed with (kind ``xapi-agent``, subject: the agent's
identity digest), which the student's erasure destroys.
"""

from __future__ import annotations

from dataclasses import dataclass

from pathwise_contracts.identity import Identities
from pathwise_runtime import keystore as stored_keys
from pathwise_runtime.keystore import Keystore
from pathwise_runtime.pii import Keyring
from pathwise_runtime.service import Runtime

AGENT = "xapi-agent"
"""The keystore kind of an xAPI agent's key."""


def keyring(runtime: Runtime) -> Keyring:
    found = runtime.extras.get("keyring")
    if found is None:
        found = runtime.extras["keyring"] = Keyring.from_settings(runtime.settings)
    assert isinstance(found, Keyring)
    return found


def keystore(runtime: Runtime) -> Keystore:
    return stored_keys.of(runtime)


@dataclass(frozen=True, slots=True)
class Keys:
    """What sealing needs: the keyring and the keystore."""

    keyring: Keyring
    keystore: Keystore

    @classmethod
    def of(cls, runtime: Runtime) -> Keys:
        return cls(keyring(runtime), keystore(runtime))

    @classmethod
    def from_master(cls, master: bytes) -> Keys:
        return cls(Keyring(master), Keystore(master))


def identities(runtime: Runtime, district: str) -> Identities:
    """Identity digests under ``district``'s key, for the results a request names."""
    return keyring(runtime).identities(district)
