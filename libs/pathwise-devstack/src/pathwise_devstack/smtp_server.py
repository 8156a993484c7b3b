"""The development SMTP sink as a process of its own: ``python -m pathwise_devstack.smtp_server``.

The embedded stack runs its sinks as processes beside the services, so a load
generator in the stack's own process (``pathwise demo``, ``pathwise bench``)
does not slow the mail server down and lengthen the latency it measures.
Serves until SIGTERM or Ctrl-C; the mailbox file stays.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from pathwise_devstack.smtp_sink import SmtpSink


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pathwise_devstack.smtp_server",
        description="Serve the development SMTP sink and its page of the mails received.",
    )
    parser.add_argument("--port", type=int, required=True, help="SMTP port on the loopback")
    parser.add_argument("--web-port", type=int, required=True, help="port of the mail page")
    parser.add_argument("--mailbox", type=Path, required=True, help="JSON-lines mailbox file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    stop = threading.Event()

    def finish(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    with SmtpSink(args.mailbox, port=args.port, web_port=args.web_port) as sink:
        print(f"SMTP sink on {sink.host}:{sink.port}, page {sink.web_url}", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
