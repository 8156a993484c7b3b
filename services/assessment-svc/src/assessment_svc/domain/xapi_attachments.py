"""xAPI 1.0.3 attachments (Communication 1.5.2) and signed statements (Data 2.6), pure.

A statement's attachment either points at its content (``fileUrl``) or travels
with it in a ``multipart/mixed`` request, each part named by the SHA-2 of its
content in ``X-Experience-API-Hash``. A signature is such an attachment: a JWS
whose payload is the statement as it was before the signature was added.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from assessment_svc.domain.xapi import StatementError
from assessment_svc.domain.xapi_models import Statement

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
HASH_HEADER = "x-experience-api-hash"
_ALGORITHMS = ("RS256", "RS384", "RS512")
_HASHES = {56: hashlib.sha224, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.I)


@dataclass(frozen=True, slots=True)
class Part:
    content_type: str
    content: bytes


def _refused(field: str, detail: str) -> StatementError:
    return StatementError([{"field": field, "detail": detail}])


def digest_of(content: bytes, length: int = 64) -> str:
    """The SHA-2 of ``content`` in the size a declared hash of ``length`` hex digits names."""
    return _HASHES.get(length, hashlib.sha256)(content).hexdigest()


def split(content_type: str, body: bytes) -> tuple[bytes, dict[str, Part]]:
    """A multipart/mixed body: the first part's bytes (the statements) and the others by
    hash; raises StatementError naming what is wrong."""
    found = _BOUNDARY.search(content_type)
    if found is None:
        raise _refused("Content-Type", "multipart/mixed needs a boundary")
    delimiter = b"--" + found.group(1).encode()
    pieces = body.split(delimiter)[1:]
    parts: list[tuple[dict[str, str], bytes]] = []
    for raw in pieces:
        if raw.startswith(b"--"):
            break
        head, _, content = raw.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        parts.append((headers, content.removesuffix(b"\r\n")))
    if not parts:
        raise _refused("body", "a multipart/mixed body with no parts")
    first_headers, first = parts[0]
    if not first_headers.get("content-type", "").lower().startswith("application/json"):
        raise _refused("body", "the first part must be the statements, as application/json")
    by_hash: dict[str, Part] = {}
    for n, (headers, content) in enumerate(parts[1:], start=1):
        declared = headers.get(HASH_HEADER, "").lower()
        if not declared:
            raise _refused(f"part {n}", "every attachment part needs X-Experience-API-Hash")
        if headers.get("content-transfer-encoding", "binary").lower() != "binary":
            raise _refused(f"part {n}", "Content-Transfer-Encoding must be binary")
        if digest_of(content, len(declared)) != declared:
            raise _refused(f"part {n}", "X-Experience-API-Hash is not the hash of the part")
        by_hash[declared] = Part(headers.get("content-type", "application/octet-stream"), content)
    return first, by_hash


def match(statements: list[Statement], parts: dict[str, Part]) -> None:
    """Every attachment without a fileUrl has its part, and every part its attachment."""
    wanted: set[str] = set()
    for n, statement in enumerate(statements):
        for k, attachment in enumerate(statement.attachments or ()):
            sha2 = attachment.sha2.lower()
            if sha2 in parts:
                wanted.add(sha2)
            elif attachment.fileUrl is None:
                field = f"{n}.attachments.{k}" if len(statements) > 1 else f"attachments.{k}"
                raise _refused(field, "no fileUrl and no part with its sha2 in the request")
    if stray := sorted(set(parts) - wanted):
        raise _refused("body", f"a part no attachment names: {stray[0]}")


def check_signatures(
    statements: list[Statement], bodies: list[dict[str, Any]], parts: dict[str, Part]
) -> None:
    """A signed statement's JWS is well formed, RS256/384/512, over this statement, and
    (with an ``x5c`` certificate) verifies."""
    for statement, body in zip(statements, bodies, strict=True):
        for k, attachment in enumerate(statement.attachments or ()):
            if attachment.usageType != SIGNATURE:
                continue
            field = f"attachments.{k}"
            if attachment.contentType != "application/octet-stream":
                raise _refused(field, "a signature's contentType is application/octet-stream")
            part = parts.get(attachment.sha2.lower())
            if part is None:
                raise _refused(field, "a signature must travel in the request")
            _verify(part.content, _unsigned(body, k), field)


def _unsigned(body: dict[str, Any], index: int) -> dict[str, Any]:
    """The statement as it was signed: without the signature attachment."""
    out = {key: value for key, value in body.items() if key not in ("authority", "stored")}
    rest = [a for i, a in enumerate(body.get("attachments") or ()) if i != index]
    if rest:
        out["attachments"] = rest
    else:
        out.pop("attachments", None)
    return out


def _verify(token: bytes, statement: dict[str, Any], field: str) -> None:
    try:
        header = jwt.get_unverified_header(token)
        payload = json.loads(_payload(token))
    except (jwt.PyJWTError, ValueError) as exc:
        raise _refused(field, f"the signature is not a JWS: {exc}") from exc
    if header.get("alg") not in _ALGORITHMS:
        raise _refused(field, f"the signature's alg must be one of {', '.join(_ALGORITHMS)}")
    if isinstance(payload, dict) and "id" not in payload:
        statement = {k: v for k, v in statement.items() if k != "id"}  # the LRS gave the id
    if not isinstance(payload, dict) or _same(payload) != _same(statement):
        raise _refused(field, "the signature's payload is not this statement")
    chain = header.get("x5c")
    if chain:
        try:
            certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0]))
            key = certificate.public_key()
            if not isinstance(key, rsa.RSAPublicKey):
                raise ValueError("the x5c certificate's key is not RSA")
            jwt.api_jws.decode_complete(token, key, algorithms=[header["alg"]])
        except (jwt.PyJWTError, ValueError) as exc:
            raise _refused(field, f"the signature does not verify: {exc}") from exc


def _payload(token: bytes) -> bytes:
    parts = token.split(b".")
    if len(parts) != 3:
        raise ValueError("not a compact JWS")
    return base64.urlsafe_b64decode(parts[1] + b"=" * (-len(parts[1]) % 4))


def _same(statement: dict[str, Any]) -> dict[str, Any]:
    """What signing compares: the statement without what the LRS sets, ids as UUIDs."""
    out = {k: v for k, v in statement.items() if k not in ("authority", "stored", "version")}
    if isinstance(out.get("id"), str):
        out["id"] = str(uuid.UUID(out["id"]))
    return out
