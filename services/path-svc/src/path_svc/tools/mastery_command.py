"""`pathwise mastery fit|evaluate`: fit the mastery models and measure them.

The work is in ``path_svc.tools.modelling``; this module only parses and prints.
It is imported lazily so the rest of the CLI does not need numpy.
"""

from __future__ import annotations

import argparse
import json
import statistics
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
    fit = sub.add_parser("fit", help="fit BKT per skill by EM, then the combined model")
    fit.add_argument("--data", type=Path, required=True, help="CSV: user_id,skill_name,correct")
    fit.add_argument("--out", type=Path, required=True, help="BKT params JSON to write")
    fit.add_argument("--model-out", type=Path, default=None, help="combined model JSON to write")
    fit.add_argument(
        "--weights-out",
        type=Path,
        default=None,
        help="pooled weights JSON to write, as the service bundles them",
    )
    fit.add_argument("--no-forgetting", action="store_true", help="fit standard BKT")
    fit.set_defaults(handler=run_fit)
    evaluate = sub.add_parser("evaluate", help="AUC and RMSE of next-answer predictions")
    evaluate.add_argument("--train", "--data", dest="train", type=Path, required=True)
    evaluate.add_argument("--test", type=Path, default=None, help="default: split --train")
    evaluate.add_argument("--split", type=float, default=0.8, help="share of students to fit on")
    evaluate.add_argument("--seed", type=int, default=1, help="seed of the student shuffle")
    evaluate.add_argument(
        "--seeds", type=int, default=1, help="evaluate this many splits (seed, seed + 1, ...)"
    )
    evaluate.add_argument("--no-forgetting", action="store_true", help="standard BKT")
    evaluate.add_argument("--json", action="store_true", help="machine-readable output")
    evaluate.set_defaults(handler=run_evaluate)


def run_fit(args: argparse.Namespace) -> int:
    import path_svc.tools.modelling as tools

    try:
        table, model = tools.fit(args.data, forgetting=not args.no_forgetting)
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
    if args.model_out is not None:
        model.write(args.model_out)
        print(f"combined model in {model.meta['fit_seconds']} s -> {args.model_out}")
    if args.weights_out is not None:
        from path_svc.domain import next_answer

        meta = {
            "fitted_by": "pathwise mastery fit --weights-out (pooled weights)",
            "data": args.data.name,
            "students": model.meta["students"],
            "answers": model.meta["answers"],
        }
        document = next_answer.weights_document(model.model.default, meta)
        args.weights_out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        print(f"pooled weights -> {args.weights_out}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    import path_svc.tools.modelling as tools

    if args.seeds < 1:
        print("pathwise mastery evaluate: --seeds must be at least 1", file=sys.stderr)
        return 2
    try:
        if args.test is None and args.seeds > 1:
            seeds = list(range(args.seed, args.seed + args.seeds))
            results = tools.evaluate_seeds(
                args.train, seeds, split=args.split, forgetting=not args.no_forgetting
            )
        else:
            results = [
                tools.evaluate_files(
                    args.train,
                    args.test,
                    split=args.split,
                    seed=args.seed,
                    forgetting=not args.no_forgetting,
                )
            ]
    except (OSError, ValueError) as error:
        print(f"pathwise mastery evaluate: {error}", file=sys.stderr)
        return 2
    if args.json:
        rows = [asdict(r) for r in results]
        print(json.dumps(rows[0] if len(rows) == 1 else rows))
        return 0
    _print(results)
    return 0


def _print(results: list[Any]) -> None:
    first = results[0]
    bkt = "BKT with forgetting" if first.forgetting else "standard BKT"
    print(
        f"{'split':<8}{'students':>14}{'answers':>16}  {bkt + ' AUC/RMSE':>30}  combined AUC/RMSE"
    )
    for r in results:
        print(
            f"{'seed ' + str(r.seed) if r.seed is not None else 'files':<8}"
            f"{r.train_students:>7}/{r.test_students:<6}{r.train_answers:>8}/{r.test_answers:<7}"
            f"  {r.bkt.auc:>21.4f} / {r.bkt.rmse:.4f}"
            f"  {r.combined.auc:>8.4f} / {r.combined.rmse:.4f}"
        )
    slowest_bkt = max(r.bkt.fit_seconds for r in results)
    slowest = max(r.combined.fit_seconds for r in results)
    print(
        f"fit: BKT {slowest_bkt:.1f} s ({first.iterations} EM iterations), "
        f"combined {slowest:.1f} s (slowest split, BKT included)"
    )
    if len(results) > 1:
        for name in ("bkt", "combined"):
            aucs = [getattr(r, name).auc for r in results]
            print(
                f"{name}: mean AUC {statistics.fmean(aucs):.4f} "
                f"(min {min(aucs):.4f}, max {max(aucs):.4f}) over {len(results)} splits"
            )
