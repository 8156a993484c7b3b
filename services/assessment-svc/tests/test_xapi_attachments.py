"""xAPI 1.0.3 attachments and signed statements, named by section: Communication
1.5.2 (multipart/mixed requests and ``attachments=true``) and Data 2.6 (signatures)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from standards_support import XAPI_HEADERS

from assessment_svc.domain import xapi, xapi_attachments
from assessment_svc.main import SPEC
from pathwise_devstack import inprocess
from pathwise_devstack.service_fixtures import SECRET, bearer
from pathwise_devstack.stack import Infrastructure

pytestmark = pytest.mark.integration
ESSAY = b"My essay about fractions.\r\nIt has two lines.\r\n"
SIGNED = "http://adlnet.gov/expapi/attachments/signature"


def _statement(**extra: Any) -> dict[str, Any]:
    return {
        "actor": {"mbox": f"mailto:{secrets.token_hex(4)}@x.example"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"id": "https://lms.example/essay/1"},
        **extra,
    }


def _attachment(
    content: bytes, usage: str = "https://x.example/essay", kind: str = "text/plain"
) -> dict[str, Any]:
    return {
        "usageType": usage,
        "display": {"en-US": "essay"},
        "contentType": kind,
        "length": len(content),
        "sha2": hashlib.sha256(content).hexdigest(),
    }


def _multipart(body: Any, parts: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = "abc" + secrets.token_hex(6)
    out = [
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
        json.dumps(body).encode(),
        b"\r\n",
    ]
    for kind, content in parts:
        digest = hashlib.sha256(content).hexdigest()
        out.append(
            f"--{boundary}\r\nContent-Type: {kind}\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {digest}\r\n\r\n".encode()
        )
        out += [content, b"\r\n"]
    out.append(f"--{boundary}--".encode())
    return b"".join(out), f'multipart/mixed; boundary="{boundary}"'


def _signer() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lms.example")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    return key, base64.b64encode(der).decode()


def _signed(
    statement: dict[str, Any], alg: str = "RS256", **changed: Any
) -> tuple[dict[str, Any], bytes]:
    key, x5c = _signer()
    token = jwt.encode({**statement, **changed}, key, algorithm=alg, headers={"x5c": [x5c]})
    signature = token.encode()
    return {
        **statement,
        "attachments": [_attachment(signature, SIGNED, "application/octet-stream")],
    }, signature


@pytest.fixture(scope="module")
async def lrs(module_database: str, infrastructure: Infrastructure) -> AsyncIterator[Any]:
    bootstrap = infrastructure.bootstrap_servers
    async with inprocess.running(SPEC, module_database, bootstrap, secret=SECRET) as run:
        yield run.client


HEADERS = bearer("service", "d1") | XAPI_HEADERS


async def test_comm_1_5_2_a_multipart_statement_keeps_its_attachment(lrs: Any) -> None:
    statement = _statement(attachments=[_attachment(ESSAY)])
    body, kind = _multipart(statement, [("text/plain", ESSAY)])
    r = await lrs.post("/xapi/statements", content=body, headers=HEADERS | {"Content-Type": kind})
    assert r.status_code == 200, r.text
    [statement_id] = r.json()
    r = await lrs.get(
        f"/xapi/statements?statementId={statement_id}&attachments=true", headers=HEADERS
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("multipart/mixed")
    first, parts = xapi_attachments.split(r.headers["content-type"], r.content)
    assert json.loads(first)["id"] == statement_id
    assert parts[hashlib.sha256(ESSAY).hexdigest()].content == ESSAY
    r = await lrs.get(f"/xapi/statements?statementId={statement_id}", headers=HEADERS)
    assert r.headers["content-type"].startswith("application/json")


async def test_comm_1_5_2_an_attachment_without_file_url_or_part_is_400(lrs: Any) -> None:
    r = await lrs.post(
        "/xapi/statements", json=_statement(attachments=[_attachment(ESSAY)]), headers=HEADERS
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "attachments.0", r.text
    linked = _attachment(ESSAY) | {"fileUrl": "https://files.example/essay.txt"}
    r = await lrs.post("/xapi/statements", json=_statement(attachments=[linked]), headers=HEADERS)
    assert r.status_code == 200, r.text


async def test_comm_1_5_2_a_part_must_match_its_hash_and_an_attachment(lrs: Any) -> None:
    statement = _statement(attachments=[_attachment(ESSAY)])
    body, kind = _multipart(statement, [("text/plain", ESSAY), ("text/plain", b"stray")])
    r = await lrs.post("/xapi/statements", content=body, headers=HEADERS | {"Content-Type": kind})
    assert r.status_code == 400 and "no attachment names" in r.text
    body, kind = _multipart(statement, [("text/plain", ESSAY)])
    tampered = body.replace(b"two lines", b"2 lines")
    r = await lrs.post(
        "/xapi/statements", content=tampered, headers=HEADERS | {"Content-Type": kind}
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "part 1"


async def test_data_2_6_a_signed_statement_is_stored(lrs: Any) -> None:
    statement = _statement(id=str(uuid.uuid4()))
    signed, signature = _signed(statement)
    body, kind = _multipart(signed, [("application/octet-stream", signature)])
    r = await lrs.post("/xapi/statements", content=body, headers=HEADERS | {"Content-Type": kind})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("alg", "changed", "detail"),
    [
        ("RS256", {"verb": {"id": "http://adlnet.gov/expapi/verbs/passed"}}, "payload"),
        ("HS256", {}, "alg"),
    ],
)
async def test_data_2_6_a_signature_over_something_else_or_by_hmac_is_400(
    lrs: Any, alg: str, changed: dict[str, Any], detail: str
) -> None:
    statement = _statement(id=str(uuid.uuid4()))
    if alg == "HS256":
        token = jwt.encode(statement, "k" * 32, algorithm="HS256").encode()
        signed = {
            **statement,
            "attachments": [_attachment(token, SIGNED, "application/octet-stream")],
        }
        signature = token
    else:
        signed, signature = _signed(statement, **changed)
    body, kind = _multipart(signed, [("application/octet-stream", signature)])
    r = await lrs.post("/xapi/statements", content=body, headers=HEADERS | {"Content-Type": kind})
    assert r.status_code == 400 and detail in r.text, r.text


def test_data_2_6_a_signature_that_does_not_verify_is_refused() -> None:
    statement = _statement(id=str(uuid.uuid4()))
    signed, signature = _signed(statement)
    head, payload, sig = signature.split(b".")
    forged = b".".join(
        (head, payload, sig[:-4] + (b"AAAA" if not sig.endswith(b"AAAA") else b"BBBB"))
    )
    signed["attachments"][0] = _attachment(forged, SIGNED, "application/octet-stream")
    [parsed] = xapi.parse(signed)
    parts = {
        hashlib.sha256(forged).hexdigest(): xapi_attachments.Part(
            "application/octet-stream", forged
        )
    }
    with pytest.raises(xapi.StatementError, match="does not verify"):
        xapi_attachments.check_signatures([parsed], [signed], parts)
