"""Who is calling: a bearer token or a session cookie, checked by guards before a handler
runs.

Anonymous clients may read. A request that sends a token must send a valid one (401
otherwise, also on reads); a valid token without the right to the edit gets 403. Without
a token, a live session cookie speaks for its person (an expired or revoked one reads
as signed out); its unsafe requests need the session's CSRF token (`api.signin`).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from site_builder.access.sessions import COOKIE, Session
from site_builder.services.editor import Editor

from .bearer import bearer_token
from .context import STATE_KEY, ApiContext

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="jamdat"'}
_EDITOR = "jamdat.editor"
_SESSION = "jamdat.session"


def editor_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Editor | None:
    """The token's editor, else the session cookie's, None without either; 401 for a
    malformed, unknown, expired or revoked token. Remembered for the rest of the request
    (and its log line)."""
    state = connection.scope.setdefault("state", {})
    if _EDITOR in state:
        cached = state[_EDITOR]
        return cached if isinstance(cached, Editor) else None
    header = connection.headers.get("authorization")
    editor = None
    if header is not None:
        token = bearer_token(header)
        if token is None:
            raise NotAuthorizedException(
                "send the token as `Authorization: Bearer <token>`", headers=CHALLENGE
            )
        ctx = connection.app.state[STATE_KEY]
        assert isinstance(ctx, ApiContext)
        verdict, record = ctx.tokens.verify(token)
        if verdict != "ok" or record is None:
            reason = {
                "unknown": "not a valid token",
                "expired": "the token has expired: ask an organiser for a new one",
                "revoked": "the token was revoked: ask an organiser for a new one",
            }.get(verdict, "not a valid token")
            raise NotAuthorizedException(reason, headers=CHALLENGE)
        editor = record.editor
    else:
        session = session_of(connection)
        editor = session.editor if session is not None else None
    state[_EDITOR] = editor
    return editor


def session_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Session | None:
    """The live session of the request's cookie (None without one, or a dead one), when
    the request sends no Authorization header: a token always wins."""
    state = connection.scope.setdefault("state", {})
    if _SESSION not in state:
        cookie = connection.cookies.get(COOKIE)
        session = None
        if cookie and "authorization" not in connection.headers:
            ctx = connection.app.state[STATE_KEY]
            assert isinstance(ctx, ApiContext)
            session = ctx.sessions.verify(cookie)
        state[_SESSION] = session
    found = state[_SESSION]
    return found if isinstance(found, Session) else None


def require_editor(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: a valid token (organiser or member)."""
    if editor_of(connection) is None:
        raise NotAuthorizedException(
            "this needs you signed in (join with an invite link) or a token: send "
            "`Authorization: Bearer <token>` (an organiser creates one with "
            "`jamdat token create`)",
            headers=CHALLENGE,
        )


def require_organiser(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Guard: a valid organiser token."""
    require_editor(connection, handler)
    editor = editor_of(connection)
    if editor is None or not editor.is_organiser:
        raise PermissionDeniedException("only organisers may do this")


def require_team(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: an organiser, or a member on the team of the project in the path. (The edit
    itself checks again, atomically with the write.)"""
    require_editor(connection, handler)
    editor = editor_of(connection)
    assert editor is not None
    if editor.is_organiser:
        return
    ctx = connection.app.state[STATE_KEY]
    assert isinstance(ctx, ApiContext)
    params = connection.path_params
    project = ctx.site().projects.get((str(params.get("event")), str(params.get("slug"))))
    if project is not None and not editor.on_team(project):
        raise PermissionDeniedException(
            f"{editor.user!r} is not on this project's team: members may edit only "
            "projects whose team lists them"
        )


def current_editor(connection: ASGIConnection[Any, Any, Any, Any]) -> Editor:
    """The editor of a request that passed an editing guard."""
    editor = editor_of(connection)
    assert editor is not None
    return editor
