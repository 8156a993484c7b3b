"""The portal's composition: sessions, routers, error pages, the live feed, uvicorn."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from pathwise_runtime import limits, problems, service, telemetry
from portal import admin, family, live, profile_pages, records, signin, student, teacher
from portal.livefeed import Feed, Hub
from portal.settings import PortalSettings
from portal.upstream import NotVisible, SignInAgain, Unavailable, Upstream
from portal.web import CsrfRejected, NotFound, SignInRequired, render

log = logging.getLogger(__name__)
SESSION_COOKIE = "pathwise_portal"
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def session_secret(settings: PortalSettings) -> str:
    """The cookie-signing key: configured, or derived from the dev secret on the embedded stack."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    if settings.auth_dev_secret is not None:
        dev = settings.auth_dev_secret.get_secret_value().encode()
        return hmac.new(dev, b"pathwise-portal-session", hashlib.sha256).hexdigest()
    raise RuntimeError("set PATHWISE_PORTAL_SESSION_SECRET: the key that signs session cookies")


def create_app(
    settings: PortalSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The portal app; ``transport`` routes upstream calls in tests (in-process services)."""
    hub = Hub()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.upstream = Upstream(settings, transport)
        app.state.http = httpx.AsyncClient(timeout=15.0)
        feed = Feed(settings.kafka_bootstrap_servers, hub) if settings.live_updates else None
        app.state.feed = feed
        if feed is not None:
            feed.start()
        try:
            yield
        finally:
            if feed is not None:
                await feed.stop()
            await app.state.upstream.close()
            await app.state.http.aclose()

    app = FastAPI(title="portal", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.hub = hub
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    limits.install(app, settings)
    problems.install(app)
    _errors(app)

    @app.middleware("http")
    async def headers(request: Request, call_next: object) -> Response:
        response: Response = await call_next(request)  # type: ignore[operator]
        response.headers.setdefault("Content-Security-Policy", _CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        feed: Feed | None = request.app.state.feed
        live_ok = feed is None or feed.connected.is_set()
        return JSONResponse(
            {"ready": live_ok, "live_feed": "off" if feed is None else live_ok},
            status_code=200 if live_ok else 503,
        )

    app.mount(
        "/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"
    )
    routers = (signin, teacher, family, records, student, live, profile_pages, admin)
    for router in (r.router for r in routers):
        app.include_router(router)
    return app


def _errors(app: FastAPI) -> None:
    async def sign_in(request: Request, exc: Exception) -> Response:
        if isinstance(exc, SignInAgain):
            request.session.pop("user", None)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET" or request.url.path.startswith(("/events/", "/fragments/")):
            target = "/"
        return RedirectResponse(f"/signin?next={quote(target, safe='/')}", status_code=303)

    async def not_found(request: Request, exc: Exception) -> Response:
        return render(request, "error.html", status=404, kind="not_found")

    async def forbidden(request: Request, exc: Exception) -> Response:
        return render(request, "error.html", status=403, kind="forbidden")

    async def unavailable(request: Request, exc: Exception) -> Response:
        log.warning("upstream unavailable: %s", exc)
        return render(request, "error.html", status=503, kind="unavailable")

    app.add_exception_handler(SignInRequired, sign_in)
    app.add_exception_handler(SignInAgain, sign_in)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(NotVisible, not_found)
    app.add_exception_handler(CsrfRejected, forbidden)
    app.add_exception_handler(Unavailable, unavailable)
    app.add_exception_handler(404, not_found)


def run() -> None:
    """Entry point: ``python -m portal`` (JSON logs, graceful SIGTERM)."""
    settings = PortalSettings()
    telemetry.configure_logging(settings.service_name, settings.log_format, settings.log_level)
    service.serve(create_app(settings), settings)
