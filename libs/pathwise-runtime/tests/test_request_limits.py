"""Every service's app refuses oversized and too deeply nested bodies before a route runs,
and a JWKS-verified service refuses to start without the issuer it trusts."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from pathwise_runtime import problems
from pathwise_runtime.auth import TokenVerifier
from pathwise_runtime.limits import RequestLimits, json_depth
from pathwise_runtime.settings import ServiceSettings

pytestmark = pytest.mark.unit


def make_app() -> tuple[FastAPI, list[bytes]]:
    app = FastAPI()
    problems.install(app)
    app.add_middleware(RequestLimits, max_document_bytes=1024, max_package_bytes=4096, max_depth=8)
    seen: list[bytes] = []

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        body = await request.body()
        seen.append(body)
        return {"bytes": len(body)}

    return app, seen


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_depth_ignores_brackets_inside_strings() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert json_depth(b'"\\"[["') == 0
    assert json_depth(nested(40).encode()) == 40


def test_small_bodies_reach_the_route_whole() -> None:
    app, seen = make_app()
    body = json.dumps({"items": list(range(100))})
    r = TestClient(app).post("/echo", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json() == {"bytes": len(body)}
    assert seen == [body.encode()]


def test_an_oversized_document_is_a_413_naming_the_body() -> None:
    app, seen = make_app()
    r = TestClient(app).post(
        "/echo", content=b"x" * 2000, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert r.headers["content-type"] == problems.MEDIA_TYPE
    assert r.json()["errors"][0]["field"] == "body"
    assert seen == []


def test_a_streamed_body_without_length_is_counted_too() -> None:
    app, seen = make_app()

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"y" * 300

    r = TestClient(app).post("/echo", content=chunks(), headers={"content-type": "text/plain"})
    assert r.status_code == 413 and seen == []


def test_packages_have_their_own_larger_limit() -> None:
    app, _ = make_app()
    client = TestClient(app)
    zipped = {"content-type": "application/zip"}
    assert client.post("/echo", content=b"z" * 3000, headers=zipped).status_code == 200
    assert client.post("/echo", content=b"z" * 5000, headers=zipped).status_code == 413


def test_json_nested_too_deep_is_refused_before_parsing() -> None:
    app, seen = make_app()
    client = TestClient(app)
    json_type = {"content-type": "application/json"}
    assert client.post("/echo", content=nested(8), headers=json_type).status_code == 200
    r = client.post("/echo", content=nested(9), headers=json_type)
    assert r.status_code == 400
    assert r.json()["type"] == "urn:pathwise:problem:body-too-deep"
    assert r.json()["errors"][0]["field"] == "body"
    assert len(seen) == 1


def test_jwks_without_an_issuer_does_not_start() -> None:
    settings = ServiceSettings(PATHWISE_AUTH_JWKS_URL="https://login.example.org/jwks.json")
    with pytest.raises(RuntimeError, match="PATHWISE_AUTH_ISSUER"):
        TokenVerifier(settings)
    TokenVerifier(
        ServiceSettings(
            PATHWISE_AUTH_JWKS_URL="https://login.example.org/jwks.json",
            PATHWISE_AUTH_ISSUER="https://login.example.org/",
        )
    )
