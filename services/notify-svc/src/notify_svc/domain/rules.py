"""The notification rules, read from ``rules.json`` shipped in the package.

Rules are data so that a district (or a reviewer) can read in one place which
facts reach families, how urgent each is and how it is delivered, without
reading the planner. The planner and the sender both take their answers from
here; docs/notifications.md explains each field.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import time, timedelta
from importlib import resources
from typing import Literal

Delivery = Literal["preference", "digest", "immediate", "scheduled"]
KINDS = ("competency_mastered", "path_changed", "support_needed", "weekly_summary")
GUARDIANS = "guardians_with_rights"
TEACHERS = "teachers"
AUDIENCES = (GUARDIANS, TEACHERS)


@dataclass(frozen=True, slots=True)
class Rule:
    """One trigger: what it reacts to and how its messages travel.

    ``delivery``: ``preference`` follows the guardian's frequency (instant,
    digest, off); ``digest`` always waits for the daily digest (a path can
    change back within the day, so the evening digest reports where it
    settled); ``immediate`` bypasses digests (urgent) but never an opt-out;
    ``scheduled`` is sent at its planned time, then by preference.
    """

    kind: str
    source: str
    urgent: bool
    delivery: Delivery
    news_window: timedelta
    significant_modalities: tuple[str, ...] = ()
    audiences: frozenset[str] = frozenset({GUARDIANS})
    """Who hears of it: guardians with rights (and consent), and/or the student's teachers.

    Teachers are staff: they get every alert of their kind as one email, with
    no consent, quiet hours or digest (those protect families).
    """


@dataclass(frozen=True, slots=True)
class Rules:
    triggers: dict[str, Rule]
    digest_at: time
    default_time_zone: str

    def __getitem__(self, kind: str) -> Rule:
        return self.triggers[kind]

    def kinds_for(self, audience: str) -> list[str]:
        """The triggers that reach ``audience``, sorted."""
        return sorted(k for k, rule in self.triggers.items() if audience in rule.audiences)


def parse(document: dict[str, object]) -> Rules:
    """Validate a rules document; a wrong one fails the service at start, loudly."""
    raw = document.get("triggers")
    if not isinstance(raw, dict) or set(raw) != set(KINDS):
        raise ValueError(f"rules: 'triggers' must define exactly {list(KINDS)}")
    triggers = {}
    for kind, spec in raw.items():
        delivery = spec["delivery"]
        if delivery not in ("preference", "digest", "immediate", "scheduled"):
            raise ValueError(f"rules: triggers.{kind}.delivery {delivery!r} is unknown")
        if spec["urgency"] not in ("normal", "urgent"):
            raise ValueError(f"rules: triggers.{kind}.urgency must be 'normal' or 'urgent'")
        audience = spec["audience"]
        audiences = [audience] if isinstance(audience, str) else list(audience)
        if not audiences or any(a not in AUDIENCES for a in audiences):
            raise ValueError(
                f"rules: triggers.{kind}.audience must be one of {list(AUDIENCES)} "
                "or a list of them"
            )
        triggers[kind] = Rule(
            kind=kind,
            source=str(spec["source"]),
            urgent=spec["urgency"] == "urgent",
            delivery=delivery,
            news_window=timedelta(hours=float(spec["news_window_hours"])),
            significant_modalities=tuple(spec.get("significant_modalities", ())),
            audiences=frozenset(audiences),
        )
    digest = document.get("digest")
    at = time.fromisoformat(str(digest["local_time"])) if isinstance(digest, dict) else time(18)
    return Rules(triggers, at, str(document.get("default_time_zone", "UTC")))


@functools.cache
def load() -> Rules:
    """The packaged rules (read once)."""
    text = resources.files("notify_svc").joinpath("rules.json").read_text(encoding="utf-8")
    return parse(json.loads(text))
