"""The development SMS sink as a process of its own: ``python -m pathwise_devstack.sms_server``.

The embedded stack runs `SmsSink` on a thread beside the services; Compose (and any
stack where notify-svc runs in another container) needs it as a server reachable
from elsewhere. This serves the same application on a chosen address, with the
account SID and auth token notify-svc is configured with (``SMS_ACCOUNT_SID``,
``SMS_AUTH_TOKEN``, the names notify-svc reads), and adds ``GET /healthz`` for the
container's health check.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from pathwise_devstack.sms_sink import SmsSink

DEFAULT_PORT = 8090
DEFAULT_OUTBOX = Path("/tmp/pathwise-sms/outbox.jsonl")


def build_parser() -> argparse.ArgumentParser:
    """Options, each defaulting to its environment variable."""
    parser = argparse.ArgumentParser(
        prog="python -m pathwise_devstack.sms_server",
        description="Serve the development SMS sink (Twilio and Vonage APIs).",
    )
    parser.add_argument("--host", default=os.environ.get("SMS_SINK_HOST", "0.0.0.0"))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("SMS_SINK_PORT", DEFAULT_PORT))
    )
    parser.add_argument(
        "--outbox",
        type=Path,
        default=Path(os.environ.get("SMS_SINK_OUTBOX", DEFAULT_OUTBOX)),
        help="JSON-lines file every accepted message is appended to",
    )
    parser.add_argument("--account-sid", default=os.environ.get("SMS_ACCOUNT_SID"))
    parser.add_argument("--auth-token", default=os.environ.get("SMS_AUTH_TOKEN"))
    return parser


def application(sink: SmsSink) -> FastAPI:
    """The sink's application with a liveness route for health checks."""
    app = sink.app

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM or Ctrl-C; the outbox file stays."""
    args = build_parser().parse_args(argv)
    if not args.account_sid or not args.auth_token:
        raise SystemExit(
            "SMS_ACCOUNT_SID and SMS_AUTH_TOKEN (or --account-sid/--auth-token) are required: "
            "notify-svc must be configured with the same values"
        )
    outbox: Path = args.outbox
    outbox.parent.mkdir(parents=True, exist_ok=True)
    outbox.touch()
    sink = SmsSink(outbox, account_sid=args.account_sid, auth_token=args.auth_token, port=args.port)
    print(f"SMS sink on http://{args.host}:{args.port}, outbox {outbox}", flush=True)
    uvicorn.run(
        application(sink), host=args.host, port=args.port, log_level="warning", lifespan="off"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
