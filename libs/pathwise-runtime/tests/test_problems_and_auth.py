import time

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from pathwise_runtime import problems
from pathwise_runtime.auth import CurrentPrincipal, TokenVerifier, require_role
from pathwise_runtime.settings import ServiceSettings

pytestmark = pytest.mark.unit
SECRET = "test-secret-0123456789-0123456789"


class Body(BaseModel):
    score: float = Field(ge=0)
    student_id: str


def make_app() -> FastAPI:
    app = FastAPI()
    problems.install(app)
    app.state.token_verifier = TokenVerifier(ServiceSettings(PATHWISE_AUTH_DEV_SECRET=SECRET))

    @app.post("/things")
    def create(body: Body, who: CurrentPrincipal) -> dict[str, str]:
        return {"role": who.role, "district": who.district}

    @app.get("/admin-only", dependencies=[require_role("admin")])
    def admin_only() -> dict[str, bool]:
        return {"ok": True}

    return app


def token(role: str = "teacher", district: str = "d1", **overrides: object) -> str:
    claims = {
        "sub": "u1",
        "role": role,
        "district": district,
        "iss": "pathwise-dev",
        "aud": "pathwise",
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
    }
    claims.update(overrides)
    return jwt.encode(claims, SECRET, algorithm="HS256")


def test_role_and_district_reach_the_handler() -> None:
    client = TestClient(make_app())
    r = client.post(
        "/things",
        json={"score": 1, "student_id": "s"},
        headers={"Authorization": f"Bearer {token()}"},
    )
    assert r.status_code == 200
    assert r.json() == {"role": "teacher", "district": "d1"}


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Basic abc", "Bearer not-a-jwt", f"Bearer {token(exp=1)}"],
)
def test_missing_or_bad_token_is_401_problem(header: str) -> None:
    client = TestClient(make_app())
    r = client.post(
        "/things", json={"score": 1, "student_id": "s"}, headers={"Authorization": header}
    )
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_wrong_role_is_403() -> None:
    client = TestClient(make_app())
    r = client.get("/admin-only", headers={"Authorization": f"Bearer {token('teacher')}"})
    assert r.status_code == 403


def test_validation_problem_names_the_field() -> None:
    client = TestClient(make_app())
    r = client.post(
        "/things",
        json={"score": -1, "student_id": "s"},
        headers={"Authorization": f"Bearer {token()}"},
    )
    assert r.status_code == 422
    body = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert body["type"] == "urn:pathwise:problem:validation-error"
    assert body["errors"][0]["field"] == "score"
    assert body["errors"][0]["pointer"] == "#/score"
    assert "score" in body["detail"]
