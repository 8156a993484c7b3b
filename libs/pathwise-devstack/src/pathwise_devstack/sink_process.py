"""Run a development sink (SMTP, SMS) as a child process and wait until it answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from pathwise_devstack.embedded import stop_group
from pathwise_devstack.ports import LOOPBACK


class SinkProcess:
    """``python -m <module> <args>`` in its own process group, ready once ``ports`` accept."""

    def __init__(
        self,
        module: str,
        args: Sequence[str],
        ports: Sequence[int],
        *,
        log_path: Path,
        env: dict[str, str] | None = None,
        ready_timeout: float = 20.0,
    ) -> None:
        self._command = [sys.executable, "-m", module, *args]
        self._ports = list(ports)
        self._log_path = log_path
        self._env = {**os.environ, **(env or {})}
        self._ready_timeout = ready_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> Self:
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self._log_path.open("ab")
        self._process = subprocess.Popen(
            self._command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self._env,
            start_new_session=True,
        )
        deadline = time.monotonic() + self._ready_timeout
        waiting = list(self._ports)
        while waiting:
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self._log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{self._command[2]} did not start:\n{tail}")
            with socket.socket() as probe:
                probe.settimeout(0.2)
                if probe.connect_ex((LOOPBACK, waiting[0])) == 0:
                    waiting.pop(0)
                    continue
            time.sleep(0.05)
        return self

    def stop(self, grace: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is not None:
            stop_group(process, grace)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
