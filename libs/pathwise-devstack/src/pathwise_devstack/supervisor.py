"""Run services as separate OS processes, relay their logs, and never leave one behind.

Each child gets its own session (process group), so a kill reaches whatever it
spawned; the e2e suite uses `kill` to SIGKILL services mid-stream.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType, TracebackType
from typing import Any, Self

import httpx
from rich.console import Console
from rich.text import Text

from pathwise_devstack.services import ServiceSpec
from pathwise_devstack.stack import Infrastructure, service_env

LineSink = Callable[[str, str], None]
_COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "red")
PROFILE_DIR_ENV = "PATHWISE_PROFILE_DIR"
PROFILE_SERVICES_ENV = "PATHWISE_PROFILE_SERVICES"


def profiler_args(name: str) -> list[str]:
    """``-m cProfile -o <dir>/<name>.prof`` when ``PATHWISE_PROFILE_DIR`` is set and the
    service is one of ``PATHWISE_PROFILE_SERVICES`` (comma-separated; empty: all), so an
    operator finds where a service spends its CPU under real load; the profile is written
    when the service stops (SIGTERM)."""
    folder = os.environ.get(PROFILE_DIR_ENV)
    wanted = {n.strip() for n in os.environ.get(PROFILE_SERVICES_ENV, "").split(",") if n.strip()}
    if not folder or (wanted and name not in wanted):
        return []
    return ["-m", "cProfile", "-o", os.path.join(folder, f"{name}.prof")]


class ServiceNotReady(RuntimeError):
    """A process did not answer its readiness probe in time (or exited)."""


@dataclass
class _Managed:
    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    ready_path: str
    process: subprocess.Popen[bytes] | None = None
    reader: threading.Thread | None = None
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=200))


class ConsolePrinter:
    """Prints each line with a coloured `[name]` tag, one colour per process."""

    def __init__(self, console: Console | None = None) -> None:
        self._console = console or Console(highlight=False, soft_wrap=True)
        self._colours: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str, line: str) -> None:
        with self._lock:
            colour = self._colours.setdefault(name, _COLOURS[len(self._colours) % len(_COLOURS)])
            self._console.print(Text.assemble((f"[{name}] ", f"bold {colour}"), line))


class Supervisor:
    """Starts, probes, kills and restarts named processes; stops them all on exit."""

    def __init__(
        self,
        *,
        ready_timeout: float = 30.0,
        stop_grace: float = 10.0,
        output: LineSink | None = None,
        cwd: str | os.PathLike[str] | None = None,
        handle_signals: bool = True,
    ) -> None:
        """`handle_signals`: turn SIGTERM/SIGHUP into SystemExit while used as a context."""
        self.handle_signals = handle_signals
        self.ready_timeout = ready_timeout
        self.stop_grace = stop_grace
        self._output: LineSink = output if output is not None else ConsolePrinter()
        self._cwd = cwd
        self._procs: dict[str, _Managed] = {}
        self._lock = threading.RLock()
        self._stopping = False
        self._previous_handlers: dict[int, Any] = {}

    # -- starting -----------------------------------------------------------

    def start(
        self,
        name: str,
        command: Sequence[str],
        *,
        port: int,
        env: Mapping[str, str] | None = None,
        ready_path: str = "/readyz",
        wait: bool = True,
    ) -> None:
        """Spawn `command` as `name` and, with `wait`, block until it is ready."""
        with self._lock:
            if name in self._procs and self.is_running(name):
                raise RuntimeError(f"{name} is already running")
            managed = _Managed(name, list(command), dict(env or {}), port, ready_path)
            self._procs[name] = managed
            self._spawn(managed)
        if wait:
            self.wait_ready(name)

    def start_service(
        self,
        infra: Infrastructure,
        service: ServiceSpec,
        port: int,
        *,
        ports: Mapping[str, int] | None = None,
        wait: bool = True,
    ) -> None:
        """Run a Pathwise service as `python -m <module>` with its environment."""
        env = service_env(infra, service, port, ports=ports)
        command = [sys.executable, *profiler_args(service.name), "-m", service.module]
        self.start(service.name, command, port=port, env=env, wait=wait)

    def _spawn(self, managed: _Managed) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **managed.env}
        process = subprocess.Popen(
            managed.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self._cwd,
            start_new_session=True,
        )
        managed.process = process
        managed.reader = threading.Thread(
            target=self._relay, args=(managed, process), name=f"log-{managed.name}", daemon=True
        )
        managed.reader.start()

    def _relay(self, managed: _Managed, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        with process.stdout:
            for raw in process.stdout:
                line = raw.decode(errors="replace").rstrip("\r\n")
                managed.lines.append(line)
                with contextlib.suppress(Exception):
                    self._output(managed.name, line)

    # -- probing ------------------------------------------------------------

    def url(self, name: str) -> str:
        """Base URL of a managed process."""
        return f"http://127.0.0.1:{self._procs[name].port}"

    def wait_ready(self, name: str, timeout: float | None = None) -> None:
        """Poll `GET <url><ready_path>` until 200; raise `ServiceNotReady` with its last logs."""
        managed = self._procs[name]
        limit = self.ready_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        probe = self.url(name) + managed.ready_path
        last = "no answer"
        with httpx.Client(timeout=1.0) as client:
            while time.monotonic() < deadline:
                process = managed.process
                if process is None or process.poll() is not None:
                    code = None if process is None else process.returncode
                    self._raise_not_ready(managed, f"exited with code {code}")
                try:
                    response = client.get(probe)
                    if response.status_code == 200:
                        return
                    last = f"HTTP {response.status_code}"
                except httpx.HTTPError as error:
                    last = type(error).__name__
                time.sleep(0.1)
        self._raise_not_ready(managed, f"not ready after {limit:.0f}s ({probe}: {last})")

    def _raise_not_ready(self, managed: _Managed, reason: str) -> None:
        process = managed.process
        if managed.reader is not None and process is not None and process.poll() is not None:
            managed.reader.join(timeout=2)
        tail = "\n".join(list(managed.lines)[-30:]) or "(no output)"
        raise ServiceNotReady(f"{managed.name} {reason}; last log lines:\n{tail}")

    def is_running(self, name: str) -> bool:
        """Whether the process was started and has not exited."""
        process = self._procs[name].process
        return process is not None and process.poll() is None

    def pid(self, name: str) -> int:
        """PID (and process group id) of the current incarnation."""
        process = self._procs[name].process
        if process is None:
            raise RuntimeError(f"{name} was never started")
        return process.pid

    def log_tail(self, name: str, lines: int = 50) -> list[str]:
        """The last lines a process printed."""
        return list(self._procs[name].lines)[-lines:]

    @property
    def names(self) -> list[str]:
        """Managed process names in start order."""
        return list(self._procs)

    # -- stopping -----------------------------------------------------------

    def kill(self, name: str, sig: int = signal.SIGKILL) -> int | None:
        """Send `sig` to the process group and, for SIGKILL, reap it; returns the exit code."""
        managed = self._procs[name]
        process = managed.process
        if process is None:
            return None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        if sig == signal.SIGKILL:
            process.wait()
            self._join_reader(managed)
        return process.poll()

    def restart(self, name: str, *, wait: bool = True) -> None:
        """Stop the process if it still runs, then start it again with the same command."""
        with self._lock:
            managed = self._procs[name]
            self._stop_one(managed)
            self._spawn(managed)
        if wait:
            self.wait_ready(name)

    def stop(self, name: str) -> None:
        """SIGTERM one process group, then SIGKILL it after the grace period."""
        self._stop_one(self._procs[name])

    def stop_all(self) -> None:
        """Stop every process in reverse start order; all groups are SIGKILLed at the end."""
        with self._lock:
            self._stopping = True
            try:
                managed = list(reversed(self._procs.values()))
                for item in managed:
                    if item.process is not None:
                        with contextlib.suppress(ProcessLookupError):
                            os.killpg(item.process.pid, signal.SIGTERM)
                deadline = time.monotonic() + self.stop_grace
                for item in managed:
                    if item.process is not None:
                        with contextlib.suppress(subprocess.TimeoutExpired):
                            item.process.wait(timeout=max(0.0, deadline - time.monotonic()))
                for item in managed:
                    self._stop_one(item, grace=0.0)
            finally:
                self._stopping = False

    def _stop_one(self, managed: _Managed, grace: float | None = None) -> None:
        process = managed.process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=self.stop_grace if grace is None else grace)
        # The leader may be gone while its group lives on: kill the group regardless.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self._join_reader(managed)

    @staticmethod
    def _join_reader(managed: _Managed) -> None:
        if managed.reader is not None:
            managed.reader.join(timeout=5)

    # -- lifetime -----------------------------------------------------------

    def __enter__(self) -> Self:
        atexit.register(self.stop_all)
        if self.handle_signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGHUP):
                self._previous_handlers[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.stop_all()
        finally:
            atexit.unregister(self.stop_all)
            for sig, handler in self._previous_handlers.items():
                signal.signal(sig, handler)
            self._previous_handlers.clear()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        """Turn SIGTERM/SIGHUP into SystemExit so `finally` blocks stop the children."""
        if self._stopping:
            return
        raise SystemExit(128 + signum)
