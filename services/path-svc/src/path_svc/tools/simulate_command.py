"""`pathwise simulate`: simulated learners on Pathwise paths, a fixed sequence and random order.

path-svc contributes it to the CLI through its ``pathwise.commands`` entry
point; the work is in ``tools.trial`` (one seed) and ``tools.trials`` (several
seeds, with confidence intervals), imported only when the command runs, so
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
        "simulate",
        help="compare Pathwise paths with a fixed sequence and random order on simulated learners",
    )
    parser.add_argument("--students", type=int, default=1000, help="simulated students")
    parser.add_argument("--weeks", type=int, default=12, help="weeks of practice")
    parser.add_argument("--sessions-per-week", type=int, default=3, help="practice sessions")
    parser.add_argument("--seed", type=int, default=1, help="seed of the population and draws")
    parser.add_argument(
        "--seeds",
        type=int,
        default=1,
        help="run this many seeds (seed, seed + 1, ...) with 95%% CIs",
    )
    parser.add_argument(
        "--framework", default=None, help="a bundled framework by name (default: the default)"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        if args.seeds < 1:
            raise ValueError("--seeds must be at least 1")
        if args.seeds > 1:
            return _several(args, started)
        return _one(args, started)
    except ValueError as error:
        print(f"pathwise simulate: {error}", file=sys.stderr)
        return 2


def _one(args: argparse.Namespace, started: float) -> int:
    import path_svc.tools.trial as trial

    result = trial.run(
        args.students, args.weeks, args.seed, args.sessions_per_week, _framework(args)
    )
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
    print(
        f"{'arm':<10}{'known at end':>14}{'rate':>8}{'learned':>9}"
        f"{'weeks to mastery':>19}{'sessions each':>15}"
    )
    for name, o in arms.items():
        print(
            f"{name:<10}{o.mastered_mean:>11.2f}/{o.competencies:<2}{o.mastery_rate:>8.1%}"
            f"{o.learned_mean:>9.2f}{o.weeks_to_mastery:>19.2f}{o.sessions_per_mastery:>15.2f}"
        )
    return 0


def _several(args: argparse.Namespace, started: float) -> int:
    import path_svc.tools.trials as trials

    seeds = list(range(args.seed, args.seed + args.seeds))
    result = trials.run(args.students, args.weeks, seeds, args.sessions_per_week, _framework(args))
    result["seconds"] = round(time.perf_counter() - started, 2)
    if args.json:
        print(json.dumps(result, default=asdict))
        return 0
    print(
        f"{result['students']} simulated students per seed, {result['weeks']} weeks x "
        f"{result['sessions_per_week']} sessions, framework {result['framework']} "
        f"({result['competencies']} competencies), seeds {seeds[0]}..{seeds[-1]} "
        f"({result['seconds']} s); mean [95% CI over {len(seeds)} seeds]"
    )
    print(
        f"{'arm':<10}{'known at end':>22}{'learned in trial':>22}"
        f"{'weeks to mastery':>22}{'sessions each':>22}"
    )
    for name, f in result["arms"].items():
        print(
            f"{name:<10}"
            + "".join(
                f"{_shown(f[k]):>22}"
                for k in (
                    "mastered_mean",
                    "learned_mean",
                    "weeks_to_mastery",
                    "sessions_per_mastery",
                )
            )
        )
    for name, gain in result["pathwise_gain"].items():
        print(f"pathwise - {name}: {_shown(gain)} more competencies learned (paired by seed)")
    return 0


def _framework(args: argparse.Namespace) -> Any:
    from path_svc.domain import catalogue

    if args.framework is None:
        return None
    try:
        return catalogue.load(args.framework)
    except FileNotFoundError:
        raise ValueError(f"no bundled framework {args.framework!r}") from None


def _shown(i: Any) -> str:
    return f"{i.mean:.2f} [{i.low:.2f}, {i.high:.2f}]"
