"""Signing in and out: OIDC with PKCE, or the development sign-in of the embedded stack."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Annotated, Any

import jwt
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pathwise_runtime.auth import ROLES, TokenVerifier, mint_dev_token
from pathwise_runtime.problems import Problem
from portal import oidc
from portal.security import new_state, pkce_challenge, pkce_verifier, safe_next, same_state
from portal.settings import PortalSettings
from portal.upstream import Unavailable
from portal.web import HOMES, Csrf, User, render, session_user, upstream

router = APIRouter()
SIGN_IN_ROLES = ("teacher", "guardian", "student", "admin")
_SUBJECT = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")


def _settings(request: Request) -> PortalSettings:
    settings: PortalSettings = request.app.state.settings
    return settings


def _start_session(request: Request, user: User) -> None:
    request.session.pop("oidc", None)
    request.session.pop("pref_lang", None)
    request.session["user"] = user.as_session()


@router.get("/", include_in_schema=False)
async def home(request: Request) -> Response:
    user = session_user(request)
    return RedirectResponse(HOMES.get(user.role, "/signin") if user else "/signin", 303)


@router.get("/signin", response_class=HTMLResponse)
async def signin(request: Request, next: str | None = None) -> Response:
    """OIDC: off to the identity provider. Embedded stack: pick a role and a person."""
    settings = _settings(request)
    target = safe_next(next)
    if settings.oidc:
        return await _to_provider(request, settings, target)
    if not settings.dev_signin:
        return render(request, "error.html", status=503, kind="unavailable")
    return render(
        request,
        "signin.html",
        people=await _people(request, settings),
        roles=SIGN_IN_ROLES,
        next=target,
    )


async def _people(request: Request, settings: PortalSettings) -> dict[str, list[dict[str, Any]]]:
    """The demo district's people by role, read from profile-svc with a service token."""
    secret = settings.auth_dev_secret
    assert secret is not None
    token = mint_dev_token(
        secret.get_secret_value(), role="service", district=settings.district_id, sub="portal"
    )
    found: dict[str, list[dict[str, Any]]] = {"admin": [{"person_id": "dev-admin", "hint": ""}]}
    for role in ("teacher", "guardian", "student"):
        try:
            found[role] = await upstream(request).get(
                "profile", "/v1/people", token, {"role": role, "limit": 200}
            )
        except Unavailable:
            found[role] = []
    return found


@router.post("/signin")
async def dev_signin(
    request: Request,
    role: Annotated[str, Form()],
    subject: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
    _: None = Csrf,
) -> Response:
    """Development sign-in: a token for the chosen person, signed with the dev secret."""
    settings = _settings(request)
    if not settings.dev_signin or settings.auth_dev_secret is None:
        raise Problem(404, "development sign-in is off: sign in with the identity provider")
    if role not in SIGN_IN_ROLES or role not in ROLES:
        raise Problem(422, f"role: must be one of {list(SIGN_IN_ROLES)}", field="role")
    if not _SUBJECT.match(subject):
        raise Problem(422, "subject: letters, digits and ._:@- only, at most 128", field="subject")
    ttl = settings.session_max_age_s
    token = mint_dev_token(
        settings.auth_dev_secret.get_secret_value(),
        role=role,
        district=settings.district_id,
        sub=subject,
        ttl=ttl,
    )
    user = User(subject, role, settings.district_id, token, int(time.time()) + ttl)
    _start_session(request, user)
    target = safe_next(next, HOMES[role])
    return RedirectResponse(HOMES[role] if target == "/" else target, 303)


def _redirect_uri(request: Request, settings: PortalSettings) -> str:
    base = settings.public_url.rstrip("/") if settings.public_url else str(request.base_url)[:-1]
    return f"{base}/signin/callback"


async def _provider(request: Request, settings: PortalSettings) -> oidc.Provider:
    cached: oidc.Provider | None = getattr(request.app.state, "oidc_provider", None)
    if cached is None:
        assert settings.oidc_issuer is not None
        cached = await oidc.discover(request.app.state.http, settings.oidc_issuer)
        request.app.state.oidc_provider = cached
    return cached


async def _to_provider(request: Request, settings: PortalSettings, target: str) -> Response:
    try:
        provider = await _provider(request, settings)
    except oidc.SignInFailed:
        return render(request, "error.html", status=503, kind="unavailable")
    verifier, state, nonce = pkce_verifier(), new_state(), new_state()
    request.session["oidc"] = {"state": state, "nonce": nonce, "verifier": verifier, "next": target}
    url = oidc.authorization_url(
        provider,
        client_id=settings.oidc_client_id or "",
        redirect_uri=_redirect_uri(request, settings),
        scope=settings.oidc_scope,
        state=state,
        nonce=nonce,
        challenge=pkce_challenge(verifier),
    )
    return RedirectResponse(url, 303)


@router.get("/signin/callback")
async def callback(
    request: Request,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    """The identity provider's answer: same state, code for tokens, tokens checked."""
    settings = _settings(request)
    pending = request.session.pop("oidc", None)
    if not settings.oidc or not isinstance(pending, dict):
        return render(request, "error.html", status=400, kind="forbidden")
    if error or not code or not same_state(pending.get("state"), state):
        return render(request, "error.html", status=400, kind="forbidden")
    try:
        provider = await _provider(request, settings)
        tokens = await oidc.exchange(
            request.app.state.http,
            provider,
            code=code,
            redirect_uri=_redirect_uri(request, settings),
            verifier=pending["verifier"],
            client_id=settings.oidc_client_id or "",
            client_secret=(
                settings.oidc_client_secret.get_secret_value()
                if settings.oidc_client_secret
                else None
            ),
        )
        verifier = _verifier(request, settings, provider)
        if not tokens.get("id_token"):  # no ID token, no nonce check: not a sign-in
            raise oidc.SignInFailed("the identity provider returned no id_token")
        # Key lookups may fetch the provider's JWKS over the network: off the event loop.
        key = await asyncio.to_thread(verifier.signing_key, tokens["id_token"])
        oidc.check_id_token(
            tokens["id_token"],
            key,
            issuer=provider.issuer,
            client_id=settings.oidc_client_id or "",
            nonce=pending["nonce"],
        )
        who = await asyncio.to_thread(verifier.tokens.verify, tokens["access_token"])
    except (oidc.SignInFailed, Problem):
        return render(request, "error.html", status=403, kind="forbidden")
    if who.role not in SIGN_IN_ROLES:
        return render(request, "error.html", status=403, kind="forbidden")
    expires = int(time.time()) + int(tokens.get("expires_in", 3600))
    _start_session(
        request, User(who.subject, who.role, who.district, tokens["access_token"], expires)
    )
    target = safe_next(pending.get("next"), HOMES[who.role])
    return RedirectResponse(HOMES[who.role] if target == "/" else target, 303)


class _Verifiers:
    """The access-token verifier (as the services verify) and the ID-token key lookup."""

    def __init__(self, settings: PortalSettings, provider: oidc.Provider) -> None:
        jwks = settings.auth_jwks_url or provider.jwks_uri
        self.tokens = TokenVerifier(
            settings.model_copy(
                update={
                    "auth_jwks_url": jwks,
                    "auth_issuer": settings.auth_issuer or provider.issuer,
                }
            )
        )
        self._keys = jwt.PyJWKClient(provider.jwks_uri)

    def signing_key(self, token: str) -> Any:
        return self._keys.get_signing_key_from_jwt(token).key


def _verifier(request: Request, settings: PortalSettings, provider: oidc.Provider) -> _Verifiers:
    found: _Verifiers | None = getattr(request.app.state, "oidc_verifiers", None)
    if found is None:
        found = _Verifiers(settings, provider)
        request.app.state.oidc_verifiers = found
    return found


@router.post("/signout")
async def signout(request: Request, _: None = Csrf) -> Response:
    request.session.clear()
    return render(request, "signed_out.html")


@router.post("/language")
async def switch_language(
    request: Request,
    lang: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
    _: None = Csrf,
) -> Response:
    """The language switch: kept in the session, over the contact preference."""
    from portal.i18n import negotiate

    request.session["lang"] = negotiate(lang)
    return RedirectResponse(safe_next(next), 303)
