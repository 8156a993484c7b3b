"""The supervisor starts, probes, kills and restarts processes and never leaves one behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from pathwise_devstack.ports import free_port
from pathwise_devstack.supervisor import ServiceNotReady, Supervisor

pytestmark = pytest.mark.integration

# A tiny service: answers /readyz, and forks a sleeping grandchild into its group.
SERVER = textwrap.dedent(
    """
    import http.server, os, subprocess, sys
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/readyz" else 404)
            self.end_headers()
        def log_message(self, *args):
            pass
    print("serving on", os.environ["HTTP_PORT"], flush=True)
    http.server.HTTPServer(("127.0.0.1", int(os.environ["HTTP_PORT"])), Handler).serve_forever()
    """
)


def _group_alive(pgid: int) -> bool:
    return any(
        proc.status() != psutil.STATUS_ZOMBIE
        for proc in psutil.process_iter()
        if _pgid(proc) == pgid
    )


def _pgid(proc: psutil.Process) -> int | None:
    try:
        return os.getpgid(proc.pid)
    except (ProcessLookupError, PermissionError):
        return None


def _start_tiny(supervisor: Supervisor, name: str = "tiny-svc") -> int:
    port = free_port()
    command = [sys.executable, "-c", SERVER]
    supervisor.start(name, command, port=port, env={"HTTP_PORT": str(port)})
    return port


def test_kill_restart_and_stop_all() -> None:
    lines: list[tuple[str, str]] = []
    with Supervisor(
        ready_timeout=15, stop_grace=3, output=lambda n, s: lines.append((n, s))
    ) as sup:
        _start_tiny(sup)
        first = sup.pid("tiny-svc")
        assert sup.is_running("tiny-svc")
        assert any(name == "tiny-svc" and "serving on" in line for name, line in lines)

        assert sup.kill("tiny-svc") == -signal.SIGKILL
        assert not sup.is_running("tiny-svc")
        assert not _group_alive(first)

        sup.restart("tiny-svc")
        second = sup.pid("tiny-svc")
        assert second != first
        assert sup.is_running("tiny-svc")
    assert not _group_alive(second)


def test_not_ready_reports_last_lines() -> None:
    command = [sys.executable, "-c", "print('boom: missing setting'); raise SystemExit(3)"]
    with (
        Supervisor(ready_timeout=10, output=lambda n, s: None) as sup,
        pytest.raises(ServiceNotReady, match="boom: missing setting"),
    ):
        sup.start("broken-svc", command, port=free_port())


def test_parent_sigterm_stops_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    parent = textwrap.dedent(
        f"""
        import sys, time
        from pathwise_devstack.supervisor import Supervisor
        SERVER = {SERVER!r}
        with Supervisor(ready_timeout=15, output=lambda n, s: None) as sup:
            sup.start("tiny-svc", [sys.executable, "-c", SERVER], port={free_port()},
                      env={{"HTTP_PORT": "{free_port()}"}}, wait=False)
            open({str(pid_file)!r}, "w").write(str(sup.pid("tiny-svc")))
            time.sleep(60)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", parent])
    try:
        deadline = time.monotonic() + 15
        while not (pid_file.exists() and pid_file.read_text()):
            assert time.monotonic() < deadline, "parent did not start its child"
            time.sleep(0.05)
        child = int(pid_file.read_text())
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 128 + signal.SIGTERM
        assert not _group_alive(child)
    finally:
        process.kill()
        process.wait()
