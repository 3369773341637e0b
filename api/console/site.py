"""The console's sign-in page, sign-out, and its stylesheet and script (open to anyone)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from ..context import Ctx
from ..webpages import sign_out
from .pages import HEADERS, PREFIX, STATIC, Req, page

ASSETS = {"console.css": "text/css", "console.js": "text/javascript"}


@get(f"{PREFIX}/signin", sync_to_thread=False, include_in_schema=False)
def signin_page(request: Req) -> Response[str]:
    """How to get into the console: an organiser invite link (or OAuth, where set up)."""
    nxt = request.query_params.get("next", "")
    return page(request, "signin.html", next=nxt if nxt.startswith(f"{PREFIX}/") else "")


@post(f"{PREFIX}/signout", include_in_schema=False)
async def signout(ctx: Ctx, request: Req) -> Redirect:
    """End this browser's session."""
    return sign_out(ctx, request, f"{PREFIX}/signin")


@get(f"{PREFIX}/static/{{name:str}}", sync_to_thread=False, include_in_schema=False)
def console_asset(name: FromPath[str]) -> Response[Any]:
    if name not in ASSETS:
        raise NotFoundException(f"no asset {name!r}")
    headers = {**HEADERS, "Cache-Control": "public, max-age=300"}
    text = (STATIC / name).read_text(encoding="utf-8")
    return Response(text, media_type=ASSETS[name], headers=headers)
