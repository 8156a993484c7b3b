"""The event base class, the type registry and encrypted personal data.

Registration happens when a concrete event class is defined, so an envelope can
always turn a CloudEvents ``type`` back into the model that validates its data.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_URI_PREFIX = "urn:pathwise:schema:"
_TYPE_RE = re.compile(r"^org\.pathwise\.[a-z]+\.[A-Z][A-Za-z0-9]*\.v[1-9][0-9]*$")
_B64URL_RE = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")

EVENT_TYPES: dict[str, type[Event]] = {}


class UnknownEventType(ValueError):
    """A CloudEvents ``type`` that no registered event class declares."""


def schema_uri(event_type: str) -> str:
    """The ``dataschema`` URI of an event type (also the ``$id`` of its JSON Schema)."""
    return f"{SCHEMA_URI_PREFIX}{event_type}"


class Event(BaseModel):
    """A fact about one student; subclasses with a ``type`` are registered.

    Events are immutable and reject unknown fields so a typo never slips into
    the permanent log.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    type: ClassVar[str]
    topic: ClassVar[str]

    student_id: str = Field(
        min_length=1, description="Student the event is about; also the Kafka key."
    )

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "type" not in cls.__dict__:
            return  # an abstract grouping class, not an event type
        if not _TYPE_RE.match(cls.type):
            raise TypeError(f"{cls.__name__}: bad event type {cls.type!r}")
        if not isinstance(getattr(cls, "topic", None), str):
            raise TypeError(f"{cls.__name__}: event classes must declare a topic")
        if cls.type in EVENT_TYPES:
            other = EVENT_TYPES[cls.type].__name__
            raise TypeError(f"{cls.__name__}: type {cls.type!r} already used by {other}")
        EVENT_TYPES[cls.type] = cls

    @classmethod
    def dataschema(cls) -> str:
        """URI of this event type's published JSON Schema."""
        return schema_uri(cls.type)


def _b64url_decode(value: str) -> bytes:
    if not _B64URL_RE.match(value):
        raise ValueError("must be base64url")
    try:
        return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value) % 4))
    except binascii.Error as exc:
        raise ValueError("must be base64url") from exc


class EncryptedValue(BaseModel):
    """Personal data sealed with the data subject's key (crypto-shredding).

    Deleting the key ``kid`` makes every copy in the log unreadable, which is how
    erasure works on an append-only log. Plaintext personal data never goes in
    an event.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kid: str = Field(min_length=1, description="Id of the data subject's key.")
    alg: Literal["A256GCM"] = Field(description="JWA content encryption algorithm.")
    nonce: str = Field(description="96-bit GCM nonce, base64url.")
    ct: str = Field(description="Ciphertext followed by the 128-bit GCM tag, base64url.")

    @field_validator("nonce")
    @classmethod
    def _nonce_is_96_bits(cls, value: str) -> str:
        if len(_b64url_decode(value)) != 12:
            raise ValueError("nonce must be 12 bytes")
        return value

    @field_validator("ct")
    @classmethod
    def _ct_has_tag(cls, value: str) -> str:
        if len(_b64url_decode(value)) < 16:
            raise ValueError("ct must include the 16-byte GCM tag")
        return value
