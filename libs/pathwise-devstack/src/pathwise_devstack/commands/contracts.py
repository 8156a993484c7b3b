"""`pathwise contracts {check,generate}`: delegated to the contracts package's CLI."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `contracts` parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "contracts", help="check or regenerate the event JSON Schemas"
    )
    parser.add_argument("action", choices=("check", "generate"))
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="passed on unchanged")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Call `pathwise_contracts.cli.main` with the same arguments."""
    from pathwise_contracts.cli import main as contracts_main

    code = contracts_main([args.action, *args.rest])
    return int(code or 0)
