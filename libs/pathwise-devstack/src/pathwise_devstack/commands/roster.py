"""`pathwise roster generate|import`: a sample OneRoster district, and importing a package.

The generator is ``pathwise_devstack.sample_district``; the import is profile-svc's
``POST /v1/rosters/oneroster``, reached over HTTP. This module parses, posts and prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import httpx

from pathwise_devstack.devtoken import find_dev_secret, mint_token


def register(subparsers: Any) -> None:
    """Add the `roster` parser with its `generate` and `import` subcommands."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "roster", help="generate a sample OneRoster district or import a roster package"
    )
    sub = parser.add_subparsers(dest="roster_command", required=True)
    gen = sub.add_parser("generate", help="write a sample district as OneRoster 1.2 CSV")
    gen.add_argument("--students", type=int, default=500)
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--out", type=Path, required=True, help="a folder, or a file ending in .zip")
    gen.set_defaults(handler=run_generate)
    imp = sub.add_parser("import", help="post a OneRoster package (folder or zip) to profile-svc")
    imp.add_argument("package", type=Path, help="folder with manifest.csv, or a .zip")
    imp.add_argument("--url", default="http://127.0.0.1:8102", help="profile-svc base URL")
    imp.add_argument("--token", default=None, help="bearer token (default: mint an admin one)")
    imp.add_argument("--district", default="d1", help="district of the minted token")
    imp.add_argument("--secret", default=None, help="dev signing secret (default: running stack)")
    imp.add_argument("--workdir", type=Path, default=Path.cwd(), help="where `up` runs")
    imp.set_defaults(handler=run_import)


def run_generate(args: argparse.Namespace) -> int:
    import pathwise_devstack.sample_district as sample_district

    try:
        files = sample_district.generate(args.students, args.seed)
    except ValueError as error:
        print(f"pathwise roster generate: {error}", file=sys.stderr)
        return 2
    where = sample_district.write(files, args.out)
    users = files["users.csv"].count("\n") - 1
    print(f"wrote {len(files)} files ({users} users, {args.students} students) to {where}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    import pathwise_devstack.sample_district as sample_district

    try:
        body = sample_district.package_bytes(args.package)
        token = args.token or mint_token(
            find_dev_secret(args.workdir, args.secret), role="admin", district=args.district
        )
    except (OSError, ValueError, LookupError) as error:
        print(f"pathwise roster import: {error}", file=sys.stderr)
        return 2
    try:
        response = httpx.post(
            f"{args.url.rstrip('/')}/v1/rosters/oneroster",
            content=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/zip"},
            timeout=600,
        )
    except httpx.HTTPError as error:
        print(f"pathwise roster import: {args.url}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(response.json(), indent=2))
    return 0 if response.is_success else 1
