"""`pathwise token`: mint a dev JWT for the running stack (or any given secret)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pathwise_devstack.devtoken import ROLES, find_dev_secret, mint_token


def register(subparsers: Any) -> None:
    """Add the `token` parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "token", help="print a dev JWT (HS256) for calling the services"
    )
    parser.add_argument("--role", required=True, choices=ROLES)
    parser.add_argument("--district", required=True)
    parser.add_argument("--sub", default=None, help="subject (default: dev-<role>)")
    parser.add_argument("--secret", default=None, help="signing secret (default: running stack)")
    parser.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    parser.add_argument("--workdir", type=Path, default=Path.cwd(), help="where `up` runs")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the token on stdout, errors on stderr."""
    try:
        secret = find_dev_secret(args.workdir, args.secret)
    except LookupError as error:
        print(f"pathwise token: {error}", file=sys.stderr)
        return 2
    print(mint_token(secret, role=args.role, district=args.district, sub=args.sub, ttl=args.ttl))
    return 0
