"""Deterministic event ids.

Delivery is at-least-once, so a consumer may process the same cause twice and a
replay re-derives every event. Ids built from the causing event's id and what was
derived from it come out identical each time, so downstream de-duplication by id
turns those repeats into no-ops instead of duplicate effects.
"""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("49bfd08d-b5bc-4122-94ce-5d5ccd9e5211")


def derive_event_id(cause: uuid.UUID | str, *parts: str) -> uuid.UUID:
    """UUIDv5 of the cause and the parts joined with ``|``.

    Parts are joined verbatim, so a part must not contain ``|`` itself or two
    different derivations could share an id.
    """
    return uuid.uuid5(NAMESPACE, "|".join([str(cause), *parts]))


def assessment_id(district: str, source: str, source_id: str) -> uuid.UUID:
    """A result's id: a re-send maps to it, and two districts' results never share one.

    Results recorded before ids carried the district keep the id they were given
    (``derive_event_id(source, source_id)``); assessment-svc finds those by lookup.
    """
    return derive_event_id("assessment", district, source, source_id)
