"""`pathwise dlq list|show|redrive`: inspect dead letters and send fixed ones back."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from pathwise_devstack.deadletters import (
    DeadLetter,
    dlq_topics,
    parse_ref,
    read_dead_letters,
    redrive,
)
from pathwise_devstack.stackfile import read_stack_file


def register(subparsers: Any) -> None:
    """Add `dlq` with its three actions."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "dlq", help="list, show and re-drive dead-lettered records"
    )
    parser.add_argument("--bootstrap", default=None, help="Kafka bootstrap servers")
    parser.add_argument("--workdir", type=Path, default=Path.cwd(), help="where `up` runs")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="one line per dead letter")
    listing.add_argument("--topic", action="append", choices=sorted(dlq_topics()))
    listing.add_argument("--json", action="store_true")
    show = actions.add_parser("show", help="headers and payload of one dead letter")
    show.add_argument("ref", help="<dlq topic>:<partition>:<offset>, as `list` prints")
    again = actions.add_parser("redrive", help="republish to the original topic")
    again.add_argument("refs", nargs="*", help="<dlq topic>:<partition>:<offset> ...")
    again.add_argument("--all", action="store_true", help="every letter (of --topic)")
    again.add_argument("--topic", action="append", choices=sorted(dlq_topics()))
    again.add_argument("--consumer", default=None, help="only letters of this projection")
    parser.set_defaults(handler=run)


def _bootstrap(args: argparse.Namespace) -> str:
    if args.bootstrap:
        return str(args.bootstrap)
    if env := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return env
    return str(read_stack_file(args.workdir)["kafka_bootstrap_servers"])


def run(args: argparse.Namespace) -> int:
    try:
        bootstrap = _bootstrap(args)
    except LookupError as error:
        print(f"pathwise dlq: {error}; or pass --bootstrap", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_ACTIONS[args.action](bootstrap, args))
    except ValueError as error:
        print(f"pathwise dlq: {error}", file=sys.stderr)
        return 2


async def _list(bootstrap: str, args: argparse.Namespace) -> int:
    letters = await read_dead_letters(bootstrap, args.topic)
    if args.json:
        print(json.dumps([{"ref": d.ref, **d.headers} for d in letters], indent=2))
        return 0
    for d in letters:
        reason = d.headers.get("dlq.reason", "")[:80]
        print(f"{d.ref}  {d.headers.get('dlq.consumer', '?')}  {reason}")
    print(f"{len(letters)} dead letter(s)", file=sys.stderr)
    return 0


async def _find(bootstrap: str, refs: list[str]) -> list[DeadLetter]:
    wanted = [parse_ref(r) for r in refs]
    letters = await read_dead_letters(bootstrap, sorted({t for t, _, _ in wanted}))
    index = {(d.topic, d.partition, d.offset): d for d in letters}
    missing = [r for r, key in zip(refs, wanted, strict=True) if key not in index]
    if missing:
        raise ValueError(f"no dead letter at {', '.join(missing)}")
    return [index[key] for key in wanted]


async def _show(bootstrap: str, args: argparse.Namespace) -> int:
    (letter,) = await _find(bootstrap, [args.ref])
    print(
        json.dumps(
            {
                "ref": letter.ref,
                "key": letter.key.decode(errors="replace"),
                "headers": letter.headers,
            },
            indent=2,
        )
    )
    print(letter.value.decode(errors="replace"))
    return 0


async def _redrive(bootstrap: str, args: argparse.Namespace) -> int:
    if args.all == bool(args.refs):
        raise ValueError("name the letters to re-drive, or pass --all (not both)")
    if args.all:
        letters = await read_dead_letters(bootstrap, args.topic)
    else:
        letters = await _find(bootstrap, args.refs)
    if args.consumer:
        letters = [d for d in letters if d.headers.get("dlq.consumer") == args.consumer]
    for letter, (topic, partition, offset) in zip(
        letters, await redrive(bootstrap, letters), strict=True
    ):
        print(f"{letter.ref} -> {topic}:{partition}:{offset}")
    print(f"re-drove {len(letters)} dead letter(s)", file=sys.stderr)
    return 0


_ACTIONS = {"list": _list, "show": _show, "redrive": _redrive}
