"""Who may use the console: organisers only. Anonymous visitors are sent to the sign-in
page, members get a readable 403 page, and cookie posts need the session's CSRF token."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Response
from litestar.response import Redirect
from litestar.status_codes import HTTP_401_UNAUTHORIZED, HTTP_403_FORBIDDEN

from ..auth import editor_of
from ..errors import ApiError
from ..signin import SAFE, check_csrf
from .pages import HEADERS, PREFIX, Req, page


async def console_gate(request: Req) -> Response[str] | Redirect | None:
    """`before_request` of the console's routes (it replaces the app's, so it checks CSRF
    itself); answers in place of the handler when the caller may not go on."""
    editor = editor_of(request)
    if editor is None:
        if request.method in SAFE:
            target = f"{PREFIX}/signin?next={quote(request.url.path)}"
            return Redirect(path=target, status_code=303, headers=HEADERS)
        return page(request, "signin.html", HTTP_401_UNAUTHORIZED, next=request.url.path)
    if not editor.is_organiser:
        return page(
            request,
            "denied.html",
            HTTP_403_FORBIDDEN,
            message=f"You are signed in as {editor.user}, a member: only organisers may use "
            "the console.",
        )
    try:
        await check_csrf(request)
    except ApiError as exc:
        return page(request, "denied.html", exc.status_code, message=exc.detail)
    return None
