"""CPU seconds each process of a platform spent, per result: what a load run costs.

Latency says whether the platform keeps up; CPU per result says how far it is
from the limit of the machine, and which process to make cheaper. A snapshot
reads the user and system time of this process and every process below it
(services, broker, sinks) and of the Postgres server whose data lives under the
platform's directory (it detaches from its parent), grouped under a short name; the
difference of two snapshots, divided by the results in between, is the cost of
one result in each. A process that exits between the snapshots loses its share
(Postgres backends of closed connections): the figures are a floor.
"""

from __future__ import annotations

import contextlib
import os
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import psutil

# (what a command line contains, the name it is reported under), first match wins.
_NAMES: tuple[tuple[str, str], ...] = (
    ("assessment_svc", "assessment-svc"),
    ("profile_svc", "profile-svc"),
    ("path_svc", "path-svc"),
    ("notify_svc", "notify-svc"),
    ("portal", "portal"),
    ("smtp_server", "smtp-sink"),
    ("sms_server", "sms-sink"),
    ("tansu", "broker"),
    ("--listener-url", "broker"),
    ("postgres", "postgres"),
)

Snapshot = dict[int, tuple[str, float]]
"""pid -> (name, CPU seconds so far)."""


def name_of(command: Sequence[str], *, driver: bool = False) -> str:
    """The short name a process is reported under, from its command line."""
    if driver:
        return "bench driver"
    line = " ".join(command)
    for needle, name in _NAMES:
        if needle in line:
            return name
    return "other"


def snapshot(root: int | None = None, *, data_under: Path | None = None) -> Snapshot:
    """CPU seconds of ``root`` (this process by default) and all its descendants, and of
    every process tree whose command line names a path under ``data_under``."""
    top = psutil.Process(root or os.getpid())
    seen: Snapshot = {}
    for process in _tree(top, data_under):
        with contextlib.suppress(psutil.Error):
            with process.oneshot():
                times = process.cpu_times()
                name = name_of(process.cmdline(), driver=process.pid == top.pid)
            seen[process.pid] = (name, times.user + times.system)
    return seen


def _tree(top: psutil.Process, data_under: Path | None) -> Iterator[psutil.Process]:
    yield top
    yield from top.children(recursive=True)
    if data_under is None:
        return
    marker = str(data_under.resolve())
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if process.ppid() != top.pid and any(marker in a for a in process.cmdline()):
                yield process
                yield from process.children(recursive=True)


def per_result(before: Snapshot, after: Snapshot, results: int) -> dict[str, float]:
    """Milliseconds of CPU per result in each named process between two snapshots, and
    the total; a process new in ``after`` counts from zero."""
    spent: dict[str, float] = defaultdict(float)
    for pid, (name, seconds) in after.items():
        earlier = before.get(pid)
        spent[name] += seconds - (earlier[1] if earlier and earlier[0] == name else 0.0)
    return _per_result(spent, results)


def _per_result(spent: Mapping[str, float], results: int) -> dict[str, float]:
    if results <= 0:
        return {}
    rows = {name: round(1000 * s / results, 2) for name, s in sorted(spent.items(), key=_worst)}
    return rows | {"total": round(1000 * sum(spent.values()) / results, 2)}


def _worst(item: tuple[str, float]) -> float:
    return -item[1]
