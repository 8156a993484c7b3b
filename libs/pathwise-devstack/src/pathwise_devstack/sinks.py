"""What the development sinks (SMTP, SMS) share: a JSON-lines record file and a lifecycle.

Each sink accepts what notify-svc sends and appends one JSON line per message
to a file, so other processes (``pathwise demo``, the e2e suite) can count what
actually left the service. Both start and stop the same way and are context
managers; only how they serve differs.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from html import escape
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import uvicorn
from fastapi import FastAPI


class JsonLines:
    """An append-only JSON-lines file and the in-memory list of what was appended."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._records: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self._records.append(record)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)

    @property
    def records(self) -> list[dict[str, Any]]:
        """What this process appended so far (a copy)."""
        with self._lock:
            return list(self._records)


_PAGE_STYLE = (
    "body{font:15px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1a1a1a}"
    "table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ccc;"
    "padding:.4rem .6rem;text-align:start;vertical-align:top}"
    "td.text{white-space:pre-wrap;overflow-wrap:anywhere;max-width:60ch}"
)


def sink_page(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A sink's web page: what left the platform, newest first, one row per message.

    The last column is the message text, wrapped (links in mails are long).
    """
    head = "".join(f"<th scope='col'>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{escape(v)}</td>" for v in row[:-1])
        + f"<td class='text'>{escape(row[-1])}</td></tr>"
        for row in rows
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_PAGE_STYLE}</style></head>"
        f"<body><main><h1>{escape(title)} ({len(rows)})</h1>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        "</main></body></html>"
    )


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    """Parse a sink's record file (missing file: nothing recorded)."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


class HttpThread:
    """An ASGI app served by uvicorn on a thread of its own (the sinks' web pages and APIs)."""

    def __init__(self, app: FastAPI, host: str, port: int, what: str) -> None:
        self.app, self.host, self.port, self._what = app, host, port, what
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        config = uvicorn.Config(
            self.app, host=self.host, port=self.port, log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{self._what} did not start on {self.url}")
            time.sleep(0.01)

    @property
    def busy(self) -> bool:
        """A connection or request is still being served (say, from a client killed mid-request)."""
        server = self._server
        return server is not None and bool(
            server.server_state.connections or server.server_state.tasks
        )

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.should_exit = True
            if self._thread is not None:
                self._thread.join(timeout=10)


class Sink(ABC):
    """Start once, stop once, usable as ``with``; subclasses serve in ``_serve``/``_shutdown``."""

    def __init__(self, records: JsonLines) -> None:
        self._records = records
        self._running = False

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Messages accepted so far (a copy)."""
        return self._records.records

    @abstractmethod
    def _serve(self) -> None: ...

    @abstractmethod
    def _shutdown(self) -> None: ...

    def start(self) -> Self:
        """Create the record file and start serving (again a no-op while running)."""
        if not self._running:
            self._records.create()
            self._serve()
            self._running = True
        return self

    def stop(self) -> None:
        """Stop serving; the record file stays for later inspection."""
        if self._running:
            self._running = False
            self._shutdown()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
