"""Signing in and out with a session cookie, and the CSRF check of cookie requests.

`sign_in` is the one place a session starts (invite join now, OAuth later). The cookie is
HttpOnly, SameSite=Lax, Path=/, and Secure when the request came over https or the
site's `api_url` is https. Unsafe requests that a cookie authenticates must carry the
session's synchronizer token (`X-CSRF-Token` header or `_csrf` form field): checked once
for every route in `check_csrf`, never per route.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.status_codes import HTTP_403_FORBIDDEN

from site_builder.access.sessions import COOKIE, Session, csrf_ok, csrf_token
from site_builder.services.editor import Editor

from .auth import session_of
from .context import STATE_KEY, ApiContext
from .errors import ApiError

SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
HEADER = "x-csrf-token"
FIELD = "_csrf"
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _ctx(connection: ASGIConnection[Any, Any, Any, Any]) -> ApiContext:
    ctx = connection.app.state[STATE_KEY]
    assert isinstance(ctx, ApiContext)
    return ctx


def secure(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Whether the cookie must be Secure: served over https, or meant to be."""
    if connection.url.scheme == "https":
        return True
    return _ctx(connection).site().config.api_url.lower().startswith("https://")


def session_cookie(
    connection: ASGIConnection[Any, Any, Any, Any], value: str, max_age: int
) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure(connection),
    )


def sign_in(
    connection: ASGIConnection[Any, Any, Any, Any], editor: Editor
) -> tuple[Cookie, Session, str]:
    """Open a session for `editor`: the cookie to set, the session and its CSRF token."""
    ctx = _ctx(connection)
    value, session = ctx.sessions.open(editor)
    max_age = int((session.expires_at - session.created_at).total_seconds())
    return session_cookie(connection, value, max_age), session, csrf_token(value)


def sign_out_cookie(connection: ASGIConnection[Any, Any, Any, Any]) -> Cookie:
    """The cookie that removes the session cookie from the browser."""
    return session_cookie(connection, "", 0)


def csrf_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The CSRF token of the request's live session (for forms and scripts)."""
    cookie = connection.cookies.get(COOKIE)
    return csrf_token(cookie) if cookie and session_of(connection) is not None else None


async def check_csrf(request: Request[Any, Any, Any]) -> None:
    """`before_request` hook: 403 for an unsafe request authenticated by a session cookie
    without the session's CSRF token. Requests with a bearer token need none; a route may
    opt out with `opt={"csrf": False}` when it authenticates nobody (joining)."""
    if request.method in SAFE or request.route_handler.opt.get("csrf") is False:
        return
    if session_of(request) is None:
        return
    cookie = request.cookies.get(COOKIE, "")
    presented = request.headers.get(HEADER)
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if presented is None and media in FORMS:
        form = await request.form()
        value = form.get(FIELD)
        presented = value if isinstance(value, str) else None
    if not csrf_ok(cookie, presented):
        raise ApiError(
            HTTP_403_FORBIDDEN,
            "missing or wrong CSRF token: send the session's token as X-CSRF-Token "
            "(GET /api/v1/me gives it) or in the form field _csrf",
        )
