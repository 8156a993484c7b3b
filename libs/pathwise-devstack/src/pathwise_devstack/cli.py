"""`pathwise`: the developer CLI; subcommands live in `pathwise_devstack.commands`
and in the ``pathwise.commands`` entry points that service packages declare."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

from pathwise_devstack.commands import COMMAND_MODULES
from pathwise_devstack.entrypoints import command_registrars


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="pathwise", description="Pathwise developer tools")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    for register in command_registrars():
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` and run the chosen subcommand; returns the exit code."""
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code
