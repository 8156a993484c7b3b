"""`pathwise replay <service> [--verify]`: rebuild a projection from the log alone."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from pathwise_devstack.devtoken import find_dev_secret
from pathwise_devstack.pg import dsn_with_database
from pathwise_devstack.services import SERVICES, service_by_name
from pathwise_devstack.stackfile import read_stack_file
from pathwise_devstack.verification import replay_service


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "replay",
        help="rebuild a service's projections from the topics into a fresh database",
    )
    parser.add_argument("service", choices=[s.name for s in SERVICES])
    parser.add_argument(
        "--verify",
        action="store_true",
        help="compare with the live tables row for row; exit 1 when they differ",
    )
    parser.add_argument("--keep", action="store_true", help="keep the rebuilt database")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for live")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--workdir", type=Path, default=Path.cwd(), help="where `up` runs")
    parser.set_defaults(handler=run)


def _locate(args: argparse.Namespace) -> tuple[str, str, str]:
    """Live DSN, admin DSN and bootstrap: from `pathwise up`'s stack file or the environment."""
    try:
        stack = read_stack_file(args.workdir)
    except LookupError:
        live = os.environ.get("DATABASE_URL")
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if not live or not bootstrap:
            raise
        return live, dsn_with_database(live, "postgres"), bootstrap
    service = stack["services"][args.service]
    return service["database_url"], stack["database_url"], stack["kafka_bootstrap_servers"]


def _dev_secret(workdir: Path) -> str | None:
    """A running `pathwise up`'s secret; a deployment's job has PATHWISE_PII_KEY instead."""
    try:
        return find_dev_secret(workdir)
    except LookupError:
        return None


def run(args: argparse.Namespace) -> int:
    try:
        live, admin, bootstrap = _locate(args)
    except LookupError as error:
        print(
            f"pathwise replay: {error}; or set DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS",
            file=sys.stderr,
        )
        return 2
    spec = service_by_name(args.service)
    report = asyncio.run(
        replay_service(
            spec.name,
            live_dsn=live,
            admin_dsn=admin,
            bootstrap=bootstrap,
            verify=args.verify,
            timeout=args.timeout,
            keep=args.keep,
            secret=_dev_secret(args.workdir),
        )
    )
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(f"{spec.name}: replayed {report.events_replayed} events into {report.database}")
        for table, diff in report.tables.items():
            state = "equal" if diff.equal else "DIFFERENT"
            print(f"  {table}: live {diff.live_rows} rows, replayed {diff.replayed_rows}: {state}")
            for row in diff.only_live:
                print(f"    only live:     {row!r}")
            for row in diff.only_replayed:
                print(f"    only replayed: {row!r}")
        if not args.verify:
            print(f"  rebuilt database kept: {report.database}")
    if args.verify and not report.verified:
        return 1
    return 0
