"""Deterministic event ids.

Delivery is at-least-once, so a consumer may process the same cause twice and a
replay re-derives every event. Ids built from the causing event's id and what was
derived from it come out identical each time, so downstream de-duplication by id
turns those repeats into no-ops instead of duplicate effects.
"""

from __future__ import annotations

import hashlib
import uuid

NAMESPACE = uuid.UUID("49bfd08d-b5bc-4122-94ce-5d5ccd9e5211")
# SHA-1 state after the namespace, which every UUIDv5 here starts with; copied per id.
_HASHED_NAMESPACE = hashlib.sha1(NAMESPACE.bytes, usedforsecurity=False)


def derive_event_id(cause: uuid.UUID | str, *parts: str) -> uuid.UUID:
    """UUIDv5 of the cause and the parts joined with ``|``.

    Parts are joined verbatim, so a part must not contain ``|`` itself or two
    different derivations could share an id.
    """
    digest = _HASHED_NAMESPACE.copy()
    digest.update("|".join([str(cause), *parts]).encode())
    # What uuid.uuid5 does, minus hashing the namespace again for every id.
    return uuid.UUID(bytes=digest.digest()[:16], version=5)


def assessment_id(district: str, source: str, source_id: str) -> uuid.UUID:
    """A result's id: a re-send maps to it, and two districts' results never share one.

    Results recorded before ids carried the district keep the id they were given
    (``derive_event_id(source, source_id)``); assessment-svc finds those by lookup.
    """
    return derive_event_id("assessment", district, source, source_id)
