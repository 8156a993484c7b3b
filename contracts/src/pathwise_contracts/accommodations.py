"""The catalogue of accommodations: the codes a student's plan may name, and what each means.

IEP, 504 and language-support plans are personal documents, sealed with the
student's key; what planning needs from them is a short list of codes from
this catalogue, which travel in clear on ``AccommodationsChanged.requirements``.
Because every code comes from here, nothing a person typed reaches the log
that way. profile-svc refuses a code that is not here (``problems``); path-svc
turns each one into a hard constraint on a step or an annotation on every
step (``effect``), and grouping reads the same entries.

A code is ``name`` or ``name:value`` (``extended_time:2``,
``home_language:es``, ``forbidden_modality:peer_tutoring``); the entry says
whether a value is needed and what kind it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pathwise_contracts.events.path import Modality

Effect = Literal[
    "only_modality",  # hard: every step is taught this way
    "forbid_modality",  # hard: no step is taught this way (value: the modality)
    "prefer_modality",  # hard: this way whenever the situation allows (value: the modality)
    "session_time",  # hard: session minutes times the factor
    "session_cap",  # hard: sessions at most this many minutes, items cut in proportion
    "item_count",  # hard: items times the fraction, at least one
    "annotation",  # shown on every step for the teacher
]
Value = Literal["factor", "fraction", "minutes", "language", "modality", "device"]
Grouping = Literal["none", "only_in_modality", "never_in_modality", "never_grouped", "language"]

DEVICES = (
    "screen_reader",
    "speech_to_text",
    "calculator",
    "magnifier",
    "braille",
    "large_print",
    "word_prediction",
    "audio_recorder",
)
"""Assistive technology a plan may name; a code, never a product name or free text."""


@dataclass(frozen=True, slots=True)
class Accommodation:
    """One catalogue entry: its code, its rule for planning and grouping, and its label."""

    code: str
    label: str
    """What the teacher sees on each step; ``{value}`` is replaced by the code's value."""
    effect: Effect
    planning: str
    """What it means for planning, in one sentence (shown in docs and the admin page)."""
    grouping: Grouping = "none"
    value: Value | None = None
    default: str | None = None
    """The value when the code has none; a ``value`` without default is required."""
    modality: Modality | None = None
    """For ``only_modality``: the modality every step uses."""

    @property
    def hard(self) -> bool:
        """A hard constraint (the plan cannot break it) rather than an annotation."""
        return self.effect != "annotation"


CATALOGUE: tuple[Accommodation, ...] = (
    Accommodation(
        "small_group_instruction",
        "small-group instruction",
        "only_modality",
        "every step is small-group instruction, whatever the situation",
        grouping="only_in_modality",
        modality=Modality.SMALL_GROUP_INSTRUCTION,
    ),
    Accommodation(
        "one_on_one_instruction",
        "one-on-one instruction",
        "only_modality",
        "every step is one-on-one tutoring",
        grouping="never_grouped",
        modality=Modality.ONE_ON_ONE_TUTORING,
    ),
    Accommodation(
        "forbidden_modality",
        "not taught as {value}",
        "forbid_modality",
        "no step is taught this way; the nearest other way is used",
        grouping="never_in_modality",
        value="modality",
    ),
    Accommodation(
        "preferred_modality",
        "{value} preferred",
        "prefer_modality",
        "this way is chosen whenever the situation allows it",
        value="modality",
    ),
    Accommodation(
        "extended_time",
        "extended time {value}\N{MULTIPLICATION SIGN}",
        "session_time",
        "each step's session is the standard length times the factor, same items",
        value="factor",
        default="1.5",
    ),
    Accommodation(
        "reduced_items",
        "reduced item count \N{MULTIPLICATION SIGN}{value}",
        "item_count",
        "each step asks for the standard number of items times the fraction",
        value="fraction",
        default="0.5",
    ),
    Accommodation(
        "shortened_sessions",
        "sessions of at most {value} min",
        "session_cap",
        "no session is longer than this; items are cut in proportion",
        value="minutes",
        default="15",
    ),
    Accommodation(
        "frequent_breaks",
        "break every {value} min",
        "annotation",
        "the teacher plans a short break at this interval",
        value="minutes",
        default="10",
    ),
    Accommodation(
        "read_aloud", "read aloud", "annotation", "directions and items are read to the student"
    ),
    Accommodation(
        "text_to_speech", "text-to-speech", "annotation", "materials are offered as speech"
    ),
    Accommodation(
        "home_language",
        "home-language materials ({value})",
        "annotation",
        "materials and directions in the student's home language",
        grouping="language",
        value="language",
    ),
    Accommodation(
        "bilingual_glossary",
        "bilingual glossary",
        "annotation",
        "a word-to-word glossary is allowed on every task",
    ),
    Accommodation(
        "simplified_language",
        "simplified language",
        "annotation",
        "directions use plain, short sentences",
    ),
    Accommodation(
        "assistive_technology",
        "assistive technology: {value}",
        "annotation",
        "the named device is available for every step",
        value="device",
    ),
    Accommodation(
        "preferential_seating",
        "preferential seating",
        "annotation",
        "seated near the teacher or away from distraction",
    ),
    Accommodation(
        "separate_setting",
        "separate, quiet setting",
        "annotation",
        "mastery checks and independent work happen in a quiet room",
    ),
    Accommodation(
        "visual_supports",
        "visual supports",
        "annotation",
        "models, diagrams and visual schedules accompany each step",
    ),
    Accommodation(
        "manipulatives",
        "concrete manipulatives",
        "annotation",
        "physical objects are available for every step",
    ),
    Accommodation(
        "check_for_understanding",
        "check understanding of directions",
        "annotation",
        "the teacher confirms the student understood before work starts",
    ),
    Accommodation(
        "scribe",
        "scribe records answers",
        "annotation",
        "an adult writes down what the student answers",
    ),
)

BY_CODE: Mapping[str, Accommodation] = {a.code: a for a in CATALOGUE}
KNOWN: tuple[str, ...] = tuple(sorted(BY_CODE))

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


@dataclass(frozen=True, slots=True)
class Requirement:
    """One code of a plan, resolved: the entry and its value (the default if none given)."""

    accommodation: Accommodation
    value: str | None

    @property
    def code(self) -> str:
        a = self.accommodation
        return a.code if self.value is None else f"{a.code}:{self.value}"

    @property
    def label(self) -> str:
        shown = self.value
        if self.accommodation.value == "modality" and shown is not None:
            shown = shown.replace("_", " ")
        return self.accommodation.label.format(value=shown)


def parse(code: str) -> Requirement:
    """The requirement a code names; ValueError saying why when it is not a catalogue code."""
    name, _, given = code.partition(":")
    entry = BY_CODE.get(name)
    if entry is None:
        raise ValueError(f"unknown accommodation code {code!r}")
    if entry.value is None:
        if given:
            raise ValueError(f"{name!r} takes no value")
        return Requirement(entry, None)
    value = given or entry.default
    if value is None:
        raise ValueError(f"{name!r} needs a value ({entry.value}), e.g. {_example(entry)!r}")
    _check(entry, value)
    return Requirement(entry, value)


def _example(entry: Accommodation) -> str:
    return {
        "language": f"{entry.code}:es",
        "modality": f"{entry.code}:peer_tutoring",
        "device": f"{entry.code}:calculator",
    }.get(entry.value or "", f"{entry.code}:{entry.default}")


def _check(entry: Accommodation, value: str) -> None:
    def bad(why: str) -> ValueError:
        return ValueError(f"{entry.code}:{value}: {why}")

    if entry.value in ("factor", "fraction", "minutes"):
        try:
            number = float(value)
        except ValueError:
            raise bad("the value must be a number") from None
        low, high = {"factor": (1.0, 3.0), "fraction": (0.1, 0.9), "minutes": (5, 120)}[entry.value]
        if not low <= number <= high:
            raise bad(f"the value must be between {low:g} and {high:g}")
    elif entry.value == "language" and not _LANGUAGE.match(value):
        raise bad("the value must be a lower-case BCP 47 language tag, e.g. 'es' or 'zh-hant'")
    elif entry.value == "modality" and value not in {m.value for m in Modality}:
        raise bad(f"the value must be a modality: {', '.join(m.value for m in Modality)}")
    elif entry.value == "device" and value not in DEVICES:
        raise bad(f"the value must be one of {', '.join(DEVICES)}")


def resolve(codes: Sequence[str]) -> list[Requirement]:
    """The catalogue requirements among ``codes``, skipping what the catalogue does not know.

    For readers of the log: codes written before the catalogue existed may not
    resolve; profile-svc refuses such codes on every new command.
    """
    out = []
    for code in codes:
        try:
            out.append(parse(code))
        except ValueError:
            continue
    return out


def problems(codes: Sequence[str]) -> list[tuple[int, str]]:
    """Why a plan's codes cannot be accepted, as (index, message); empty when they can.

    Besides unknown codes and bad values, a plan must not contradict itself:
    two different required modalities, or a modality both required and
    forbidden, or every modality forbidden.
    """
    out: list[tuple[int, str]] = []
    resolved: list[tuple[int, Requirement]] = []
    for i, code in enumerate(codes):
        try:
            resolved.append((i, parse(code)))
        except ValueError as e:
            out.append((i, str(e)))
    if out:
        return out
    only = {(r.accommodation.modality, i) for i, r in resolved if r.accommodation.modality}
    forbidden = {
        r.value: i for i, r in resolved if r.accommodation.effect == "forbid_modality" and r.value
    }
    if len({m for m, _ in only}) > 1:
        out.append((max(i for _, i in only), "two different modalities are required"))
    for modality, _ in only:
        if modality is not None and modality.value in forbidden:
            out.append((forbidden[modality.value], f"{modality.value} is required and forbidden"))
    if len(forbidden) == len(Modality):
        out.append((max(forbidden.values()), "every modality is forbidden"))
    return out
