"""``pathwise contracts`` commands: verify or regenerate the published schemas."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pathwise_contracts.schemas import SCHEMAS_DIR, check, incompatibilities, render_all, write_all


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pathwise contracts", description="Pathwise event contract tools."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check_cmd = commands.add_parser(
        "check", help="fail on stale schemas or backward-incompatible changes"
    )
    generate_cmd = commands.add_parser("generate", help="write the JSON Schemas")
    generate_cmd.add_argument(
        "--allow-breaking",
        action="store_true",
        help="overwrite even when the change would break events already in the log",
    )
    for command in (check_cmd, generate_cmd):
        command.add_argument("--schemas-dir", type=Path, default=SCHEMAS_DIR)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a command; returns the process exit code."""
    args = _parser().parse_args(argv)
    directory: Path = args.schemas_dir
    if args.command == "check":
        problems = check(directory)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            return 1
        print(f"contracts: {len(render_all())} schemas up to date, no breaking changes")
        return 0
    breaking = incompatibilities(directory)
    if breaking and not args.allow_breaking:
        for problem in breaking:
            print(problem, file=sys.stderr)
        print(
            "contracts: refusing to overwrite; publish a new event version instead "
            "(or pass --allow-breaking)",
            file=sys.stderr,
        )
        return 1
    changed = write_all(directory)
    print(f"contracts: wrote {len(changed)} of {len(render_all())} schemas to {directory}")
    return 0
