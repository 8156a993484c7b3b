"""One keyring per process, shared by the HTTP side, the ingest worker and intake."""

from __future__ import annotations

from pathwise_contracts.identity import Identities
from pathwise_runtime.pii import Keyring
from pathwise_runtime.service import Runtime


def keyring(runtime: Runtime) -> Keyring:
    found = runtime.extras.get("keyring")
    if found is None:
        found = runtime.extras["keyring"] = Keyring.from_settings(runtime.settings)
    assert isinstance(found, Keyring)
    return found


def identities(runtime: Runtime, district: str) -> Identities:
    """Identity digests under ``district``'s key, for the results a request names."""
    return keyring(runtime).identities(district)
