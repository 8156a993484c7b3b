"""`pathwise up`: infrastructure plus the four services, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.table import Table

from pathwise_devstack import portal_process
from pathwise_devstack.devtoken import dev_secret_path, write_dev_secret
from pathwise_devstack.ports import port_is_free
from pathwise_devstack.services import SERVICES, resolve_ports
from pathwise_devstack.stack import Infrastructure, start_infrastructure
from pathwise_devstack.stackfile import remove_stack_file, stack_file_path, write_stack_file
from pathwise_devstack.supervisor import ServiceNotReady, Supervisor


def register(subparsers: Any) -> None:
    """Add the `up` parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "up", help="run the whole platform locally until Ctrl-C"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="state dir parent (default: .)")
    parser.add_argument(
        "--port",
        action="append",
        default=[],
        metavar="SERVICE=PORT",
        help="override a service's HTTP port, e.g. path-svc=9103 (repeatable)",
    )
    parser.add_argument("--ready-timeout", type=float, default=60.0, help="seconds per service")
    parser.add_argument(
        "--portal-port",
        type=int,
        default=portal_process.DEFAULT_PORT,
        help="the web portal's HTTP port",
    )
    parser.set_defaults(handler=run)


def parse_port_overrides(values: Sequence[str]) -> dict[str, int]:
    """`name=port` pairs into a mapping checked against the known services."""
    overrides: dict[str, int] = {}
    for value in values:
        name, sep, port = value.partition("=")
        if not sep or not port.isdigit():
            raise ValueError(f"expected SERVICE=PORT, got {value!r}")
        overrides[name] = int(port)
    return resolve_ports(overrides)


def _runnable(module: str) -> bool:
    """Whether `python -m module` can run: a module, or a package with `__main__`."""
    spec = importlib.util.find_spec(module)
    if spec is None:
        return False
    if spec.submodule_search_locations is None:
        return True
    return importlib.util.find_spec(f"{module}.__main__") is not None


def missing_modules() -> list[str]:
    """Service modules that `python -m` cannot run in this environment."""
    return [spec.module for spec in SERVICES if not _runnable(spec.module)]


def describe_stack(
    infra: Infrastructure, ports: dict[str, int], portal_port: int = portal_process.DEFAULT_PORT
) -> dict[str, Any]:
    """The content of `.pathwise/stack.json`."""
    return {
        "pid": os.getpid(),
        "started_at": datetime.now(UTC).isoformat(),
        "workdir": str(infra.workdir),
        "services": {
            spec.name: {
                "module": spec.module,
                "port": ports[spec.name],
                "url": spec.url(ports[spec.name]),
                "database": infra.database_name(spec),
                "database_url": infra.database_url(spec),
            }
            for spec in SERVICES
        },
        "database_url": infra.admin_dsn,
        "kafka_bootstrap_servers": infra.bootstrap_servers,
        "smtp": {"host": infra.smtp_host, "port": infra.smtp_port, "page": infra.smtp_web_url},
        "sms": {"url": infra.sms_url, "outbox_path": str(infra.sms_outbox_path or "")},
        "mailbox_path": str(infra.mailbox_path),
        "dev_secret_path": str(dev_secret_path(infra.workdir)),
        "portal": portal_process.describe(portal_port),
    }


def _print_summary(
    console: Console, infra: Infrastructure, ports: dict[str, int], portal_port: int
) -> None:
    table = Table(title="Pathwise is up", show_lines=False)
    table.add_column("component")
    table.add_column("address")
    table.add_column("database")
    for spec in SERVICES:
        table.add_row(spec.name, spec.url(ports[spec.name]), infra.database_name(spec))
    table.add_row("portal", portal_process.url(portal_port), "(none)")
    table.add_row("postgres", infra.admin_dsn, "(admin)")
    table.add_row("broker", infra.bootstrap_servers, "")
    table.add_row("smtp sink", f"{infra.smtp_host}:{infra.smtp_port}", str(infra.mailbox_path))
    table.add_row("mail sent (page)", infra.smtp_web_url, "")
    table.add_row("sms sink (page)", infra.sms_url, str(infra.sms_outbox_path or ""))
    console.print(table)
    console.print(
        f"DATABASE_URL (admin): {infra.admin_dsn}\n"
        f"KAFKA_BOOTSTRAP_SERVERS: {infra.bootstrap_servers}\n"
        f"token: pathwise token --role teacher --district d1 --workdir {infra.workdir}\n"
        f"portal: {portal_process.url(portal_port)}/signin\n"
        f"stack: {stack_file_path(infra.workdir)}  (Ctrl-C stops everything)"
    )


class _Signals:
    """SIGINT/SIGTERM interrupt start-up, end the wait, and are ignored while stopping."""

    def __init__(self) -> None:
        self.phase = "starting"
        self.stop = threading.Event()
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                self._previous[sig] = signal.signal(sig, self._handle)

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.phase == "starting":
            raise KeyboardInterrupt
        self.stop.set()


def run(args: argparse.Namespace) -> int:
    """Start everything, wait for a signal, stop everything; 0 on a clean stop."""
    console = Console(stderr=True)
    workdir = (args.workdir or Path.cwd()).resolve()
    try:
        ports = parse_port_overrides(args.port)
    except (ValueError, KeyError) as error:
        console.print(f"pathwise up: {error}")
        return 2
    missing = missing_modules()
    if missing:
        console.print(
            f"pathwise up: service modules not runnable with python -m: {', '.join(missing)}"
        )
        return 2
    wanted = {**ports, portal_process.NAME: args.portal_port}
    busy = [f"{name} ({port})" for name, port in wanted.items() if not port_is_free(port)]
    if busy:
        console.print(f"pathwise up: ports in use: {', '.join(busy)}; use --port SERVICE=PORT")
        return 2

    signals = _Signals()
    signals.install()
    try:
        return _run_stack(console, workdir, ports, args.ready_timeout, signals, args.portal_port)
    except KeyboardInterrupt:
        console.print("pathwise up: interrupted during start-up; stopped")
        return 130
    finally:
        signals.restore()


def _run_stack(
    console: Console,
    workdir: Path,
    ports: dict[str, int],
    ready_timeout: float,
    signals: _Signals,
    portal_port: int = portal_process.DEFAULT_PORT,
) -> int:
    try:
        with (
            start_infrastructure(workdir) as infra,
            Supervisor(ready_timeout=ready_timeout, handle_signals=False) as supervisor,
        ):
            try:
                write_dev_secret(workdir, infra.dev_secret)
                for spec in SERVICES:
                    supervisor.start_service(infra, spec, ports[spec.name], ports=ports)
                portal_process.start(supervisor, infra, portal_port, ports)
                write_stack_file(workdir, describe_stack(infra, ports, portal_port))
                _print_summary(Console(), infra, ports, portal_port)
                signals.phase = "running"
                _wait(console, supervisor, signals)
            finally:
                signals.phase = "stopping"
                remove_stack_file(workdir)
                dev_secret_path(workdir).unlink(missing_ok=True)
                console.print("pathwise up: stopping")
    except ServiceNotReady as error:
        console.print(f"pathwise up: {error}")
        return 1
    console.print("pathwise up: stopped")
    return 0


def _wait(console: Console, supervisor: Supervisor, signals: _Signals) -> None:
    reported: set[str] = set()
    while not signals.stop.wait(0.5):
        for name in supervisor.names:
            if name not in reported and not supervisor.is_running(name):
                reported.add(name)
                console.print(f"pathwise up: {name} exited; its last lines are above")
    sys.stdout.flush()
