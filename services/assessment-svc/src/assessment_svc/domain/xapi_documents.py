"""xAPI 1.0.3 document resources (State, Activity Profile, Agent Profile), without I/O.

Content (cmi5 launch data, SCORM suspend data, H5P progress) keeps a learner's
place; it is not evidence, so it never reaches the log. What is decided here:
the ETag of a document, whether a write may go ahead (xAPI Communication 3.1,
concurrency), and how POST merges JSON into what is stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

JSON = "application/json"


class Resource(StrEnum):
    STATE = "state"
    ACTIVITY_PROFILE = "activity_profile"
    AGENT_PROFILE = "agent_profile"


@dataclass(frozen=True, slots=True)
class Address:
    """Where a document lives; ``identity`` is the agent's identity digest (or "")."""

    resource: Resource
    activity_id: str = ""
    identity: str = ""
    registration: str = ""
    document_id: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    content_type: str
    content: bytes

    @property
    def etag(self) -> str:
        """xAPI: the SHA-1 of the content, hex."""
        return hashlib.sha1(self.content, usedforsecurity=False).hexdigest()


class Refused(ValueError):
    """A write that may not happen; ``status`` is its HTTP answer (400, 409, 412)."""

    def __init__(self, status: int, detail: str, field: str) -> None:
        super().__init__(detail)
        self.status = status
        self.field = field


def _tags(header: str) -> set[str]:
    return {t.strip().removeprefix("W/").strip('"') for t in header.split(",") if t.strip()}


def check_preconditions(
    current: Document | None,
    *,
    if_match: str | None,
    if_none_match: str | None,
    overwriting_needs_them: bool,
) -> None:
    """Raise ``Refused`` unless the write may go ahead against ``current``.

    ``If-Match`` must name the current ETag (or ``*`` with a document present);
    ``If-None-Match: *`` requires there be none. A profile PUT over an existing
    document without either header is a 409: the client did not look first.
    """
    if if_match is not None:
        tags = _tags(if_match)
        if current is None or ("*" not in tags and current.etag not in tags):
            raise Refused(412, "If-Match does not name the document's current ETag", "If-Match")
    if if_none_match is not None and current is not None:
        tags = _tags(if_none_match)
        if "*" in tags or current.etag in tags:
            raise Refused(412, "If-None-Match: the document exists", "If-None-Match")
    if (
        overwriting_needs_them
        and current is not None
        and if_match is None
        and if_none_match is None
    ):
        raise Refused(
            409,
            "the document exists: send If-Match with its ETag (or If-None-Match: *) to overwrite",
            "If-Match",
        )


def _object(document: Document, what: str) -> dict[str, Any]:
    if document.content_type.split(";")[0].strip().lower() != JSON:
        raise Refused(400, f"POST merges JSON only: the {what} is not application/json", "body")
    try:
        value = json.loads(document.content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Refused(400, f"the {what} is not JSON: {exc}", "body") from exc
    if not isinstance(value, dict):
        raise Refused(400, f"POST merges JSON objects only: the {what} is not one", "body")
    return value


def merged(current: Document | None, posted: Document) -> Document:
    """POST: the posted object's top-level properties over the stored object's.

    Without a stored document the posted one is stored as it is; either side
    not being a JSON object is a 400 and changes nothing.
    """
    incoming = _object(posted, "posted document")
    if current is None:
        return Document(JSON, json.dumps(incoming, separators=(",", ":")).encode())
    stored = _object(current, "stored document")
    combined = {**stored, **incoming}
    return Document(JSON, json.dumps(combined, separators=(",", ":")).encode())
