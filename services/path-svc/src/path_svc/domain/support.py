"""Support alerts: noticing, before a student fails, that a person should step in.

Three conditions, each judged from facts on the student's own partition of
``path.events.v1`` and their event times only (never the clock, never other
students' partitions, whose interleaving differs between live and replay):

* **stalled** — ``STALL_ATTEMPTS`` observations in a row on a competency that
  is a current step of the path without the estimate rising ``MIN_GAIN``
  above where the run started;
* **declining** — the estimate fell at each of the last ``DECLINE_OBSERVATIONS``
  observations, by ``DECLINE_DROP`` or more in all;
* **inactive** — a step has been on the path for ``INACTIVE_AFTER`` without any
  evidence on it, as seen when a later fact of the same student arrives (a
  result on another competency, a profile change, a teacher's override or a
  choice); or a step has gone a district's ``inactive_after`` school days
  without evidence, as judged when that district's school day ends (the
  clock's tick reaches the student's partition as ``InactivityCheckDue``,
  carrying the start of the idle window: see ``domain.school_calendar``).

At most one alert is open per competency: a new condition while one is open
does not raise another. Each alert opens an *episode* (1, 2, ...) per student
and competency, so the event ids derived from it are unique and stable on
replay. An episode closes when its condition clears: the estimate rose
``RESOLVE_GAIN`` above where it stood at the alert, or reached mastery
(stalled, declining); evidence arrived on the step or it left the path
(inactive).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, Literal

from path_svc.domain.mastery import MASTERED

Reason = Literal["stalled", "declining", "inactive"]

STALL_ATTEMPTS = 4
MIN_GAIN = 0.02
DECLINE_OBSERVATIONS = 3
DECLINE_DROP = 0.1
INACTIVE_AFTER = timedelta(days=14)
RESOLVE_GAIN = 0.05


@dataclass(frozen=True, slots=True)
class Alert:
    """An episode opening (``resolved`` false) or closing, with a readable detail."""

    competency_id: str
    reason: Reason
    episode: int
    detail: str
    resolved: bool = False


@dataclass(slots=True)
class Watch:
    """What support alerts remember about one competency of one student."""

    recent: list[float] = field(default_factory=list)
    run_start: float | None = None
    flat: int = 0
    since: datetime | None = None
    episode: int = 0
    open: Reason | None = None
    at_alert: float = 0.0
    opened: datetime | None = None
    """Event time the open episode began: teachers see who has waited longest first."""

    def to_json(self) -> dict[str, Any]:
        return {
            "recent": self.recent,
            "run_start": self.run_start,
            "flat": self.flat,
            "since": self.since.isoformat() if self.since else None,
            "episode": self.episode,
            "open": self.open,
            "at_alert": self.at_alert,
            "opened": self.opened.isoformat() if self.opened else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Watch:
        since, opened = data.get("since"), data.get("opened")
        return cls(
            recent=list(data.get("recent", [])),
            run_start=data.get("run_start"),
            flat=int(data.get("flat", 0)),
            since=datetime.fromisoformat(since) if since else None,
            episode=int(data.get("episode", 0)),
            open=data.get("open"),
            at_alert=float(data.get("at_alert", 0.0)),
            opened=datetime.fromisoformat(opened) if opened else None,
        )


@dataclass(slots=True)
class Support:
    """One student's support watches, fed in log order."""

    watches: dict[str, Watch] = field(default_factory=dict)

    def evidence(self, code: str, p: float, on_path: bool, at: datetime) -> list[Alert]:
        """A new estimate on ``code``: may open a stalled or declining episode, or close one."""
        w = self.watches.setdefault(code, Watch())
        out: list[Alert] = []
        if w.open == "inactive":
            out.append(self._close(code, w, "evidence arrived on the step"))
        w.since = at
        w.recent = [*w.recent, p][-(DECLINE_OBSERVATIONS + 1) :]
        if w.run_start is None or p >= w.run_start + MIN_GAIN:
            w.run_start, w.flat = p, 0
        else:
            w.flat += 1
        if w.open in ("stalled", "declining"):
            if p >= MASTERED:
                out.append(self._close(code, w, f"{code} is now estimated as mastered"))
            elif p >= w.at_alert + RESOLVE_GAIN:
                out.append(self._close(code, w, f"mastery of {code} is rising again"))
            return out
        if p >= MASTERED:
            return out
        if on_path and w.flat >= STALL_ATTEMPTS:
            detail = f"{w.flat} attempts on {code} without a gain in estimated mastery"
            out.append(self._open(code, w, "stalled", p, detail, at))
        elif self._declining(w.recent):
            drop = w.recent[0] - w.recent[-1]
            detail = (
                f"estimated mastery of {code} fell at each of the last "
                f"{DECLINE_OBSERVATIONS} results, by {drop:.0%} in all"
            )
            out.append(self._open(code, w, "declining", p, detail, at))
        return out

    def path(self, steps: Collection[str], at: datetime) -> list[Alert]:
        """The path as it now stands: steps start their inactivity clock, and an
        inactive episode on a competency that left the path closes."""
        out: list[Alert] = []
        for code, w in sorted(self.watches.items()):
            if w.open == "inactive" and code not in steps:
                out.append(self._close(code, w, f"{code} is no longer on the path"))
        for code in steps:
            w = self.watches.setdefault(code, Watch())
            if w.since is None:
                w.since = at
        for code, w in list(self.watches.items()):
            if code not in steps and w.open is None and not w.recent:
                del self.watches[code]  # never attempted and off the path: nothing to remember
        return out

    def retired(self, kept: Collection[str]) -> list[Alert]:
        """The student's framework changed: open alerts on codes it no longer has close."""
        return [
            self._close(code, w, f"{code} is no longer in the district's framework")
            for code, w in sorted(self.watches.items())
            if w.open is not None and code not in kept
        ]

    def elapsed(self, steps: Collection[str], at: datetime) -> list[Alert]:
        """A later fact of the student at ``at``: steps left alone too long become inactive."""
        out: list[Alert] = []
        for code in sorted(steps):
            w = self.watches.get(code)
            if w is None or w.since is None or w.open is not None:
                continue
            idle = at - w.since
            if idle >= INACTIVE_AFTER:
                detail = f"no evidence on {code} for {idle.days} days while it is on the path"
                p = w.recent[-1] if w.recent else 0.0
                out.append(self._open(code, w, "inactive", p, detail, at))
        return out

    def idle(self, steps: Collection[str], before: datetime) -> list[str]:
        """Steps with no alert open and no evidence (or path start) since before ``before``."""
        return [
            code
            for code in sorted(steps)
            if (w := self.watches.get(code)) is not None
            and w.since is not None
            and w.open is None
            and w.since < before
        ]

    def school_day_ended(
        self, steps: Collection[str], before: datetime, school_days: int, at: datetime
    ) -> list[Alert]:
        """A school day ended at ``at``: steps idle since before ``before`` become inactive."""
        out: list[Alert] = []
        for code in self.idle(steps, before):
            w = self.watches[code]
            detail = f"no evidence on {code} for {school_days} school days while it is on the path"
            p = w.recent[-1] if w.recent else 0.0
            out.append(self._open(code, w, "inactive", p, detail, at))
        return out

    @staticmethod
    def _declining(recent: list[float]) -> bool:
        return (
            len(recent) == DECLINE_OBSERVATIONS + 1
            and all(b < a for a, b in pairwise(recent))
            and recent[0] - recent[-1] >= DECLINE_DROP
        )

    @staticmethod
    def _open(code: str, w: Watch, reason: Reason, p: float, detail: str, at: datetime) -> Alert:
        w.episode += 1
        w.open, w.at_alert, w.opened = reason, p, at
        return Alert(code, reason, w.episode, detail)

    @staticmethod
    def _close(code: str, w: Watch, detail: str) -> Alert:
        reason = w.open
        assert reason is not None  # only called with an open episode
        w.open, w.opened = None, None
        w.flat, w.run_start = 0, w.recent[-1] if w.recent else None
        return Alert(code, reason, w.episode, detail, resolved=True)

    def to_json(self) -> dict[str, Any]:
        return {c: w.to_json() for c, w in sorted(self.watches.items())}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Support:
        return cls({c: Watch.from_json(w) for c, w in data.items()})
