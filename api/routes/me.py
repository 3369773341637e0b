"""/api/v1/me: who the caller is, their sessions and personal tokens; /api/v1/sessions:
organisers see and end anyone's sessions."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from site_builder.access.db import now_utc

from ..auth import current_editor, require_editor, require_organiser, session_of
from ..context import Ctx
from ..docs import CREATE, DELETE, EDITORS, READ
from ..schemas import TokenCreate
from ..signin import csrf_of, sign_out_cookie
from .common import SecretId

NO_STORE = {"Cache-Control": "no-store"}
UserFilter = Annotated[
    str | None, QueryParameter(min_length=1, max_length=80, description="Only this user's.")
]


class MeController(Controller):
    path = "/api/v1/me"
    tags = ("me",)
    guards = [require_editor]  # noqa: RUF012

    @get("/", sync_to_thread=False, security=EDITORS, responses=READ)
    def who_am_i(self, request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
        """The caller's username and role; with a session, its id and CSRF token."""
        editor = current_editor(request)
        session = session_of(request)
        body: dict[str, object] = {"user": editor.user, "role": editor.role}
        if session is not None:
            body |= {"session": session.id, "csrf": csrf_of(request)}
        return Response(body, headers=NO_STORE)

    @get("/sessions", sync_to_thread=False, security=EDITORS, responses=READ)
    def my_sessions(self, ctx: Ctx, request: Request[Any, Any, Any]) -> list[dict[str, object]]:
        """The caller's sessions (never their cookies)."""
        now = now_utc()
        current = session_of(request)
        return [
            {**s.public(now), "current": current is not None and s.id == current.id}
            for s in ctx.sessions.list(current_editor(request).user)
        ]

    @delete(
        "/sessions/{session_id:str}",
        sync_to_thread=False,
        status_code=200,
        security=EDITORS,
        responses=DELETE,
    )
    def end_my_session(
        self, ctx: Ctx, request: Request[Any, Any, Any], session_id: SecretId
    ) -> Response[dict[str, object]]:
        """End one of the caller's sessions (signing out when it is this one)."""
        ended = ctx.sessions.revoke(session_id, current_editor(request).user)
        current = session_of(request)
        cookies = [sign_out_cookie(request)] if current and current.id == ended.id else []
        return Response(ended.public(now_utc()), cookies=cookies)

    @post("/signout", sync_to_thread=False, status_code=200, security=EDITORS, responses=DELETE)
    def sign_out(self, ctx: Ctx, request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
        """End this session and remove its cookie."""
        current = session_of(request)
        if current is not None:
            ctx.sessions.revoke(current.id)
        return Response(
            {"signed_out": current.id if current else ""}, cookies=[sign_out_cookie(request)]
        )

    @post("/tokens", sync_to_thread=False, security=EDITORS, responses=CREATE)
    def create_token(
        self, ctx: Ctx, request: Request[Any, Any, Any], data: JSONBody[TokenCreate]
    ) -> Response[dict[str, object]]:
        """A personal bearer token for scripts, with the caller's rights; shown only now."""
        editor = current_editor(request)
        secret, token = ctx.tokens.create(
            editor.role, editor.user, timedelta(days=data.expires_days)
        )
        body: dict[str, object] = {
            "id": token.id,
            "token": secret,
            "user": token.user,
            "role": token.role,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        }
        return Response(body, status_code=HTTP_201_CREATED, headers=NO_STORE)


class SessionController(Controller):
    path = "/api/v1/sessions"
    tags = ("me",)
    guards = [require_organiser]  # noqa: RUF012

    @get("/", sync_to_thread=False, security=EDITORS, responses=READ)
    def list_sessions(self, ctx: Ctx, user: UserFilter = None) -> list[dict[str, object]]:
        """Everyone's sessions, or one user's."""
        now = now_utc()
        return [s.public(now) for s in ctx.sessions.list(user)]

    @delete(
        "/{session_id:str}",
        sync_to_thread=False,
        status_code=200,
        security=EDITORS,
        responses=DELETE,
    )
    def end_session(self, ctx: Ctx, session_id: SecretId) -> dict[str, object]:
        """End anyone's session: it stops working at once."""
        return ctx.sessions.revoke(session_id).public(now_utc())
