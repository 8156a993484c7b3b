"""The xAPI 1.0.3 statement models: strict, as the specification requires.

They reject unknown properties, check every value (``xapi_values``) and
enforce the actor identification rules (exactly one inverse functional
identifier per Agent) and the ``result.score`` ranges.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from assessment_svc.domain.xapi_values import (
    _LANG,
    _MAILTO,
    VOIDED,
    Duration,
    Extensions,
    Iri,
    LanguageMap,
    Timestamp,
    Uuid,
)
from pathwise_contracts import identity
from pathwise_contracts.identity import Identities


class _Strict(BaseModel):
    # xAPI: an LRS rejects properties the specification does not define, and values
    # of the wrong JSON type ("true" for a boolean, "1" for a number).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)


class Account(_Strict):
    homePage: Iri
    name: str = Field(min_length=1)


class _Identified(_Strict):
    name: str | None = None
    mbox: str | None = Field(default=None, pattern=_MAILTO.pattern)
    mbox_sha1sum: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{40}$")
    openid: Iri | None = None
    account: Account | None = None

    def ifis(self) -> list[str]:
        return [k for k in ("mbox", "mbox_sha1sum", "openid", "account") if getattr(self, k)]

    def identity(self, ids: Identities) -> str | None:
        """The identity digest of the inverse functional identifier, if there is one."""
        if self.mbox:
            return ids.digest("xapi-mbox", self.mbox)
        if self.mbox_sha1sum:
            return ids.digest("xapi-mbox_sha1sum", self.mbox_sha1sum.lower())
        if self.openid:
            return ids.digest("xapi-openid", self.openid)
        if self.account:
            return ids.digest(
                "xapi-account", identity.account(self.account.homePage, self.account.name)
            )
        return None


class Agent(_Identified):
    objectType: Literal["Agent"] | None = None

    @model_validator(mode="after")
    def _one_ifi(self) -> Self:
        if len(self.ifis()) != 1:
            raise ValueError("an Agent needs exactly one of mbox, mbox_sha1sum, openid, account")
        return self


class Group(_Identified):
    objectType: Literal["Group"]
    member: list[Agent] | None = None

    @model_validator(mode="after")
    def _identification(self) -> Self:
        count = len(self.ifis())
        if count > 1:
            raise ValueError("a Group has at most one of mbox, mbox_sha1sum, openid, account")
        if count == 0 and not self.member:
            raise ValueError("an anonymous Group must list its member Agents")
        return self


def _object_type(default: str) -> Discriminator:
    def pick(value: Any) -> str:
        if isinstance(value, dict):
            return str(value.get("objectType") or default)
        return str(getattr(value, "objectType", None) or default)

    return Discriminator(pick)


Actor = Annotated[
    Annotated[Agent, Tag("Agent")] | Annotated[Group, Tag("Group")], _object_type("Agent")
]


class Verb(_Strict):
    id: Iri
    display: LanguageMap | None = None


class InteractionComponent(_Strict):
    id: str = Field(min_length=1)
    description: LanguageMap | None = None


class ActivityDefinition(_Strict):
    name: LanguageMap | None = None
    description: LanguageMap | None = None
    type: Iri | None = None
    moreInfo: Iri | None = None
    interactionType: (
        Literal[
            "true-false",
            "choice",
            "fill-in",
            "long-fill-in",
            "matching",
            "performance",
            "sequencing",
            "likert",
            "numeric",
            "other",
        ]
        | None
    ) = None
    correctResponsesPattern: list[str] | None = None
    choices: list[InteractionComponent] | None = None
    scale: list[InteractionComponent] | None = None
    source: list[InteractionComponent] | None = None
    target: list[InteractionComponent] | None = None
    steps: list[InteractionComponent] | None = None
    extensions: Extensions | None = None

    @model_validator(mode="after")
    def _interaction(self) -> Self:
        named = [
            k
            for k in ("correctResponsesPattern", "choices", "scale", "source", "target", "steps")
            if getattr(self, k) is not None
        ]
        if named and self.interactionType is None:
            raise ValueError(f"{named[0]} needs an interactionType")
        return self


class Activity(_Strict):
    objectType: Literal["Activity"] | None = None
    id: Iri
    definition: ActivityDefinition | None = None


class StatementRef(_Strict):
    objectType: Literal["StatementRef"]
    id: Uuid


class Score(_Strict):
    scaled: float | None = Field(default=None, ge=-1, le=1)
    raw: float | None = None
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError("score.min must be less than score.max")
        if self.raw is not None:
            if self.min is not None and self.raw < self.min:
                raise ValueError("score.raw must not be below score.min")
            if self.max is not None and self.raw > self.max:
                raise ValueError("score.raw must not exceed score.max")
        return self


class Result(_Strict):
    score: Score | None = None
    success: bool | None = None
    completion: bool | None = None
    response: str | None = None
    duration: Duration | None = None
    extensions: Extensions | None = None


Activities = Activity | list[Activity]


class ContextActivities(_Strict):
    parent: Activities | None = None
    grouping: Activities | None = None
    category: Activities | None = None
    other: Activities | None = None

    @field_validator("parent", "grouping", "category", "other", mode="after")
    @classmethod
    def _as_list(cls, value: Activities | None) -> list[Activity] | None:
        """xAPI Data 2.4.6.2: a single Activity is stored (and returned) as an array."""
        if value is None or isinstance(value, list):
            return value
        return [value]

    def all(self) -> list[Activity]:
        out: list[Activity] = []
        for value in (self.parent, self.grouping, self.category, self.other):
            if value is None:
                continue
            out.extend(value if isinstance(value, list) else [value])
        return out


class Context(_Strict):
    registration: Uuid | None = None
    instructor: Actor | None = None
    team: Group | None = None
    contextActivities: ContextActivities | None = None
    revision: str | None = None
    platform: str | None = None
    language: str | None = Field(default=None, pattern=_LANG.pattern)
    statement: StatementRef | None = None
    extensions: Extensions | None = None


class Attachment(_Strict):
    usageType: Iri
    display: LanguageMap
    description: LanguageMap | None = None
    contentType: str = Field(min_length=1)
    length: int = Field(ge=0)
    sha2: str = Field(pattern=r"^[0-9a-fA-F]{56,128}$")
    fileUrl: Iri | None = None


def _context_rules(obj: object, context: Context | None) -> None:
    if (
        context
        and isinstance(obj, Agent | Group)
        and (context.revision is not None or context.platform is not None)
    ):
        raise ValueError("context.revision and context.platform need an Activity object")


class SubStatement(_Strict):
    objectType: Literal["SubStatement"]
    actor: Actor
    verb: Verb
    object: Annotated[
        Annotated[Activity, Tag("Activity")]
        | Annotated[Agent, Tag("Agent")]
        | Annotated[Group, Tag("Group")]
        | Annotated[StatementRef, Tag("StatementRef")],
        _object_type("Activity"),
    ]
    result: Result | None = None
    context: Context | None = None
    timestamp: Timestamp | None = None
    attachments: list[Attachment] | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _context_rules(self.object, self.context)
        return self


StatementObject = Annotated[
    Annotated[Activity, Tag("Activity")]
    | Annotated[Agent, Tag("Agent")]
    | Annotated[Group, Tag("Group")]
    | Annotated[StatementRef, Tag("StatementRef")]
    | Annotated[SubStatement, Tag("SubStatement")],
    _object_type("Activity"),
]


class Statement(_Strict):
    id: Uuid | None = None
    actor: Actor
    verb: Verb
    object: StatementObject
    result: Result | None = None
    context: Context | None = None
    timestamp: Timestamp | None = None
    stored: Timestamp | None = None
    authority: Actor | None = None
    version: str | None = Field(default=None, pattern=r"^1\.0(\.\d+)?$")
    attachments: list[Attachment] | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _context_rules(self.object, self.context)
        if isinstance(self.authority, Group) and len(self.authority.member or ()) != 2:
            raise ValueError("an authority Group is an OAuth consumer and user: two members")
        if self.verb.id == VOIDED and not isinstance(self.object, StatementRef):
            raise ValueError("a voiding statement's object must be a StatementRef")
        return self

    @property
    def voids(self) -> str | None:
        if self.verb.id == VOIDED and isinstance(self.object, StatementRef):
            return self.object.id
        return None

    @property
    def activity(self) -> str | None:
        return self.object.id if isinstance(self.object, Activity) else None

    def agents(self, ids: Identities) -> list[str]:
        """Digests of every agent named: actor, object, context (for related_agents)."""
        found: list[str] = []
        for who in self._actors():
            digest = who.identity(ids)
            if digest:
                found.append(digest)
            if isinstance(who, Group):
                found.extend(d for m in who.member or () if (d := m.identity(ids)))
        return sorted(set(found))

    def _actors(self) -> list[Agent | Group]:
        out: list[Agent | Group] = [self.actor]
        if self.authority:
            out.append(self.authority)
        parts: list[Any] = [self]
        if isinstance(self.object, SubStatement):
            parts.append(self.object)
            out.append(self.object.actor)
        for part in parts:
            if isinstance(part.object, Agent | Group):
                out.append(part.object)
            if part.context:
                out.extend(x for x in (part.context.instructor, part.context.team) if x)
        return out

    def activities(self) -> list[str]:
        """Every activity IRI named (for related_activities)."""
        found: list[str] = []
        for part in (self, self.object) if isinstance(self.object, SubStatement) else (self,):
            if isinstance(part.object, Activity):
                found.append(part.object.id)
            if part.context and part.context.contextActivities:
                found.extend(a.id for a in part.context.contextActivities.all())
        return sorted(set(found))
