"""`pathwise`: the developer CLI; subcommands live in `pathwise_devstack.commands`."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

from pathwise_devstack.commands import COMMAND_MODULES


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="pathwise", description="Pathwise developer tools")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` and run the chosen subcommand; returns the exit code."""
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code
