"""CloudEvents 1.0 envelope in structured JSON mode.

Every Kafka message value is one envelope. Its context attributes (id, type,
subject, trace context) can be routed and de-duplicated on without decoding the
payload, and ``event()`` turns it back into the typed model.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, Literal, Self, Union, cast
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from pathwise_contracts.events import EVENT_TYPES, Event, UnknownEventType

_EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-[^\s]*)?$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A time parsed from JSON with offset zero carries pydantic-core's one shared UTC tzinfo.
_JSON_EPOCH: datetime = TypeAdapter(AwareDatetime).validate_json(b'"1970-01-01T00:00:00Z"')
_JSON_UTC = _JSON_EPOCH.tzinfo
# What ``to_bytes`` leaves out, by (traceparent is None, tracestate is None).
_ABSENT = {
    (False, False): None,
    (True, False): {"traceparent"},
    (False, True): {"tracestate"},
    (True, True): {"traceparent", "tracestate"},
}


class Envelope(BaseModel):
    """A CloudEvents 1.0 event carrying one Pathwise event as JSON ``data``.

    Unknown extension attributes are kept (CloudEvents consumers must tolerate
    them) but must follow the spec's naming and value rules.
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    id: UUID = Field(description="Event id; deterministic, so consumers de-duplicate on it.")
    source: str = Field(
        min_length=1,
        pattern=r"^\S+$",
        description="URI-reference of the producer, e.g. 'urn:pathwise:assessment-svc'.",
    )
    type: str = Field(min_length=1, description="Event type, e.g. 'org.pathwise.x.Y.v1'.")
    specversion: Literal["1.0"] = Field(default="1.0", description="CloudEvents version.")
    subject: str = Field(min_length=1, description="Student id; also the Kafka message key.")
    time: AwareDatetime = Field(description="When the fact occurred, UTC.")
    datacontenttype: Literal["application/json"] = Field(
        default="application/json", description="Media type of data."
    )
    dataschema: str = Field(
        min_length=1, pattern=r"^\S+$", description="URI of the JSON Schema of data."
    )
    districtid: str = Field(min_length=1, description="Extension: district that owns the data.")
    traceparent: str | None = Field(
        default=None, pattern=_TRACEPARENT.pattern, description="W3C trace context extension."
    )
    tracestate: str | None = Field(
        default=None, max_length=512, description="W3C trace state extension."
    )
    data: dict[str, Any] = Field(description="The event, as its JSON Schema describes.")

    @field_validator("time")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is _JSON_UTC:
            # Both operands share one zero-offset tzinfo, so this is plain datetime
            # arithmetic: the same instant as astimezone(UTC), without calling
            # into pydantic-core's tzinfo for its offset.
            return _EPOCH + (value - _JSON_EPOCH)
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _extensions_follow_spec(self) -> Self:
        extra = self.__pydantic_extra__  # what model_extra returns, without the property call
        if not extra:
            return self
        for name, value in extra.items():
            if not _EXTENSION_NAME.match(name):
                raise ValueError(f"extension attribute {name!r} must be 1-20 chars of a-z0-9")
            if not isinstance(value, str | int | bool):
                raise ValueError(f"extension attribute {name!r} must be a string, int or bool")
        return self

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        id: UUID,
        source: str,
        district_id: str,
        time: datetime | None = None,
        traceparent: str | None = None,
        tracestate: str | None = None,
    ) -> Envelope:
        """Envelope ``event``; the student id becomes the subject (and Kafka key).

        Calls the core validator and serializer directly: what ``cls(...)`` and
        ``model_dump(mode="json")`` do, without their per-call keyword handling.
        """
        fields = {
            "id": id,
            "source": source,
            "type": event.type,
            "subject": event.student_id,
            "time": time if time is not None else datetime.now(UTC),
            "dataschema": event.dataschema(),
            "districtid": district_id,
            "traceparent": traceparent,
            "tracestate": tracestate,
            "data": event.__pydantic_serializer__.to_python(event, mode="json"),
        }
        envelope: Envelope = cls.__pydantic_validator__.validate_python(fields)
        return envelope

    def to_bytes(self) -> bytes:
        """Compact JSON for the Kafka message value; absent extensions are omitted."""
        absent = _ABSENT[self.traceparent is None, self.tracestate is None]
        # The serializer's bytes are what model_dump_json would decode to str.
        return self.__pydantic_serializer__.to_json(self, exclude=absent)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        """Parse and validate a message value (raises pydantic ValidationError)."""
        return cls.model_validate_json(raw)

    @classmethod
    def parse(cls, raw: bytes) -> tuple[Envelope, Event]:
        """Envelope and typed event of a message value, validated in one pass.

        The hot path of every projector: pydantic validates the envelope and the
        event's data straight from the JSON bytes, instead of building ``data``
        as a dict and validating that again. Anything it rejects is parsed again
        the two-step way, so errors read the same as ``from_bytes`` + ``event``.
        """
        try:
            typed: _TypedEnvelope = _typed_envelopes(len(EVENT_TYPES))(raw)
        except ValidationError:
            envelope = cls.from_bytes(raw)
            return envelope, envelope.event()
        event: Event = typed.data  # type: ignore[assignment]  # the event model, see above
        if event.student_id != typed.subject:
            raise _wrong_subject(typed.subject, event)
        return typed, event

    def event(self) -> Event:
        """The typed event in ``data``.

        Raises UnknownEventType for a type no model declares, ValidationError for
        data the model rejects, and ValueError when data's student is not the
        subject (the message would sit on the wrong partition).
        """
        try:
            model = EVENT_TYPES[self.type]
        except KeyError:
            raise UnknownEventType(f"unknown event type {self.type!r}") from None
        event = model.model_validate(self.data)
        if event.student_id != self.subject:
            raise _wrong_subject(self.subject, event)
        return event


class _TypedEnvelope(Envelope):
    """An envelope whose ``data`` was validated as its event model (see ``Envelope.parse``).

    It stays an ``Envelope`` for every reader of context attributes, and
    serialises exactly as the envelope it was parsed from.
    """

    def event(self) -> Event:
        event = cast(Event, self.data)
        if event.student_id != self.subject:
            raise _wrong_subject(self.subject, event)
        return event


def _wrong_subject(subject: str, event: Event) -> ValueError:
    """The message would sit on another student's partition."""
    return ValueError(f"subject {subject!r} does not match data.student_id {event.student_id!r}")


@cache
def _typed_envelopes(registered: int) -> Callable[[bytes], Any]:
    """One JSON validator for every registered event type, dispatching on ``type``.

    Keyed by the number of registered types, so a type defined later (a test's,
    a newer contracts release) gets a validator that knows it. It is the
    adapter's core ``validate_json``, which skips the per-call keyword handling
    of ``TypeAdapter.validate_json`` (about 5% of a parse).
    """
    models: list[Any] = []
    for model in list(EVENT_TYPES.values())[:registered]:
        tag: Any = Literal[model.type]
        models.append(
            create_model(
                f"{model.__name__}Envelope", __base__=_TypedEnvelope, type=(tag, ...), data=model
            )
        )
    union: Any = Annotated[Union[tuple(models)], Field(discriminator="type")]  # noqa: UP007
    return TypeAdapter(union).validator.validate_json
