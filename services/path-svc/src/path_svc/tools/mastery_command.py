"""`pathwise mastery fit|evaluate`: fit BKT parameters by EM and measure them.

The work is in ``path_svc.tools.modelling``; this module only parses and prints.
It is imported lazily so the rest of the CLI does not need numpy.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `mastery` parser with its `fit` and `evaluate` subcommands."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "mastery", help="fit the mastery model's parameters and measure its predictions"
    )
    sub = parser.add_subparsers(dest="mastery_command", required=True)
    fit = sub.add_parser("fit", help="fit BKT parameters per skill by EM")
    fit.add_argument("--data", type=Path, required=True, help="CSV: user_id,skill_name,correct")
    fit.add_argument("--out", type=Path, required=True, help="params JSON to write")
    fit.add_argument("--no-forgetting", action="store_true", help="fit standard BKT")
    fit.set_defaults(handler=run_fit)
    evaluate = sub.add_parser("evaluate", help="AUC and RMSE of next-answer predictions")
    evaluate.add_argument("--train", "--data", dest="train", type=Path, required=True)
    evaluate.add_argument("--test", type=Path, default=None, help="default: split --train")
    evaluate.add_argument("--split", type=float, default=0.8, help="share of students to fit on")
    evaluate.add_argument("--seed", type=int, default=1, help="seed of the student shuffle")
    evaluate.add_argument("--no-forgetting", action="store_true", help="standard BKT")
    evaluate.add_argument("--json", action="store_true", help="machine-readable output")
    evaluate.set_defaults(handler=run_evaluate)


def run_fit(args: argparse.Namespace) -> int:
    import path_svc.tools.modelling as tools

    try:
        table = tools.fit(args.data, forgetting=not args.no_forgetting)
    except (OSError, ValueError) as error:
        print(f"pathwise mastery fit: {error}", file=sys.stderr)
        return 2
    table.write(args.out)
    meta = table.meta
    print(
        f"fitted {len(table.skills)} skills on {meta['answers']} answers of "
        f"{meta['students']} students in {meta['fit_seconds']} s "
        f"({meta['iterations']} EM iterations) -> {args.out}"
    )
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    import path_svc.tools.modelling as tools

    try:
        result = tools.evaluate_files(
            args.train,
            args.test,
            split=args.split,
            seed=args.seed,
            forgetting=not args.no_forgetting,
        )
    except (OSError, ValueError) as error:
        print(f"pathwise mastery evaluate: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(asdict(result)))
        return 0
    model = "BKT with forgetting" if result.forgetting else "standard BKT"
    print(
        f"{model}: fitted on {result.train_students} students ({result.train_answers} answers) "
        f"in {result.fit_seconds:.1f} s, {result.iterations} EM iterations"
    )
    print(f"tested on {result.test_students} students ({result.test_answers} answers)")
    print(f"AUC  {result.auc:.4f}")
    print(f"RMSE {result.rmse:.4f}")
    return 0
