"""`pathwise simulate`: simulated learners on Pathwise paths against a fixed sequence.

path-svc contributes it to the CLI through its ``pathwise.commands`` entry
point; the work is in ``tools.trial``, imported only when the command runs, so
the rest of the CLI starts without numpy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `simulate` parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "simulate", help="compare Pathwise paths with a fixed sequence on simulated learners"
    )
    parser.add_argument("--students", type=int, default=1000, help="simulated students")
    parser.add_argument("--weeks", type=int, default=12, help="weeks of practice")
    parser.add_argument("--sessions-per-week", type=int, default=3, help="practice sessions")
    parser.add_argument("--seed", type=int, default=1, help="seed of the population and draws")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import path_svc.tools.trial as trial

    started = time.perf_counter()
    try:
        result = trial.run(args.students, args.weeks, args.seed, args.sessions_per_week)
    except ValueError as error:
        print(f"pathwise simulate: {error}", file=sys.stderr)
        return 2
    result["seconds"] = round(time.perf_counter() - started, 2)
    arms = result.pop("arms")
    if args.json:
        print(json.dumps({**result, "arms": {k: asdict(v) for k, v in arms.items()}}))
        return 0
    print(
        f"{result['students']} simulated students, {result['weeks']} weeks x "
        f"{result['sessions_per_week']} sessions, framework {result['framework']} "
        f"(seed {result['seed']}, {result['seconds']} s)"
    )
    print(f"{'arm':<10}{'mastered':>10}{'rate':>8}{'weeks to mastery':>19}{'sessions each':>15}")
    for name, o in arms.items():
        print(
            f"{name:<10}{o.mastered_mean:>7.2f}/{o.competencies:<2}{o.mastery_rate:>8.1%}"
            f"{o.weeks_to_mastery:>19.2f}{o.sessions_per_mastery:>15.2f}"
        )
    return 0
