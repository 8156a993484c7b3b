"""A synchronous Kafka protocol round trip, to know a broker really serves requests.

Plain sockets keep it usable from sync code and from inside a running event loop.
"""

from __future__ import annotations

import socket
import struct

_API_VERSIONS = 18
_METADATA = 3
_CLIENT_ID = b"pathwise-probe"


def _request(api_key: int, correlation_id: int, body: bytes) -> bytes:
    header = struct.pack(">hhih", api_key, 0, correlation_id, len(_CLIENT_ID)) + _CLIENT_ID
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def _read_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        data += chunk
    return data


def _round_trip(sock: socket.socket, api_key: int, correlation_id: int, body: bytes) -> bytes:
    sock.sendall(_request(api_key, correlation_id, body))
    (length,) = struct.unpack(">i", _read_exact(sock, 4))
    response = _read_exact(sock, length)
    (got,) = struct.unpack(">i", response[:4])
    if got != correlation_id:
        raise ConnectionError(f"unexpected correlation id {got}")
    return response[4:]


def probe_kafka(host: str, port: int, timeout: float = 2.0) -> None:
    """Raise unless ApiVersions and Metadata both answer; returns None when the broker is up."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        versions = _round_trip(sock, _API_VERSIONS, 1, b"")
        (error_code,) = struct.unpack(">h", versions[:2])
        if error_code != 0:
            raise ConnectionError(f"ApiVersions error code {error_code}")
        metadata = _round_trip(sock, _METADATA, 2, struct.pack(">i", 0))
        (brokers,) = struct.unpack(">i", metadata[:4])
        if brokers < 1:
            raise ConnectionError("metadata lists no broker yet")
