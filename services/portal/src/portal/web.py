"""What every page shares: the signed-in user, CSRF checks, rendering and error pages."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from portal import i18n
from portal.security import CSRF_FIELD, csrf_token, csrf_valid
from portal.upstream import Upstream

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
HOMES = {"teacher": "/teacher", "admin": "/admin", "guardian": "/family", "student": "/student"}


@dataclass(frozen=True, slots=True)
class User:
    subject: str
    role: str
    district: str
    token: str
    expires: int

    def as_session(self) -> dict[str, Any]:
        return {
            "sub": self.subject,
            "role": self.role,
            "district": self.district,
            "token": self.token,
            "exp": self.expires,
        }


class SignInRequired(Exception):
    """No (valid) session: go to the sign-in page, then come back."""


class NotFound(Exception):
    """Render the 404 page (also for what the user may not see)."""


class CsrfRejected(Exception):
    """A POST without the session's CSRF token: 403."""


def session_user(request: Request) -> User | None:
    data = request.session.get("user")
    if not isinstance(data, dict):
        return None
    if int(data.get("exp", 0)) <= int(time.time()):
        return None
    return User(
        subject=str(data["sub"]),
        role=str(data["role"]),
        district=str(data["district"]),
        token=str(data["token"]),
        expires=int(data["exp"]),
    )


async def signed_in(request: Request) -> User:
    user = session_user(request)
    if user is None:
        raise SignInRequired()
    return user


def role(*roles: str) -> Any:
    """A dependency admitting signed-in users of ``roles``; others see the 404 page."""

    async def check(user: Annotated[User, Depends(signed_in)]) -> User:
        if user.role not in roles:
            raise NotFound()
        return user

    return Depends(check)


async def csrf_checked(request: Request) -> None:
    """Every POST carries the session's token in the ``csrf_token`` field."""
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    if not csrf_valid(request.session, submitted if isinstance(submitted, str) else None):
        raise CsrfRejected()


Csrf = Depends(csrf_checked)


def upstream(request: Request) -> Upstream:
    client: Upstream = request.app.state.upstream
    return client


def language(request: Request, preferred: str | None = None) -> str:
    """The session's choice (language switch), else ``preferred``, else English."""
    chosen = request.session.get("lang")
    return i18n.negotiate(chosen if isinstance(chosen, str) else preferred)


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    lang: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page with the shared context: translator, direction, CSRF token, user."""
    t = i18n.translator(lang or language(request, request.session.get("pref_lang")))
    user = session_user(request)
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "lang": t.language,
            "dir": t.direction,
            "csrf_token": csrf_token(request.session),
            "csrf_field": CSRF_FIELD,
            "user": user,
            "languages": i18n.LANGUAGES,
            "home": HOMES.get(user.role, "/") if user else "/signin",
            "ltr": i18n.ltr,
            **context,
        },
        status_code=status,
    )
