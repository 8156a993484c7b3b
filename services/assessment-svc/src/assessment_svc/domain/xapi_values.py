"""The value rules of xAPI 1.0.3: IRIs, UUIDs, timestamps, durations, language maps.

Each is an ``Annotated`` type the statement models use, so a bad value is
refused with the field it sits in.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator

VERSION = "1.0.3"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
_MAILTO = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_DURATION = re.compile(
    r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)


def _iri(value: str) -> str:
    if not _IRI.match(value):
        raise ValueError("must be an absolute IRI")
    return value


def _uuid(value: str) -> str:
    if not _UUID.match(value):
        raise ValueError("must be a UUID (RFC 4122 variant)")
    return value.lower()


def _timestamp(value: str) -> str:
    if not _TIMESTAMP.match(value) or value.endswith("-00:00"):
        raise ValueError("must be an ISO 8601 timestamp (an offset of -00:00 is not allowed)")
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError("must be an ISO 8601 timestamp") from exc
    return value


def _duration(value: str) -> str:
    if not _DURATION.match(value):
        raise ValueError("must be an ISO 8601 duration such as PT1H30M")
    return value


def _language_map(value: dict[str, str]) -> dict[str, str]:
    for tag in value:
        if not _LANG.match(tag):
            raise ValueError(f"{tag!r} is not an RFC 5646 language tag")
    return value


def _extensions(value: dict[str, Any]) -> dict[str, Any]:
    for key in value:
        _iri(key)
    return value


Iri = Annotated[str, AfterValidator(_iri)]
Uuid = Annotated[str, AfterValidator(_uuid)]
Timestamp = Annotated[str, AfterValidator(_timestamp)]
Duration = Annotated[str, AfterValidator(_duration)]
LanguageMap = Annotated[dict[str, str], AfterValidator(_language_map)]
Extensions = Annotated[dict[str, Any], AfterValidator(_extensions)]
