"""/join/<code>: the form an invite link opens, and joining with it.

Server-rendered and usable without JavaScript. A browser gets the form back with the
problem named (4xx); a JSON client gets the API's JSON errors. Joining is rate limited
per client address and per invite code, and opens a session (`api.signin.sign_in`).
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import time
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.status_codes import HTTP_201_CREATED, HTTP_429_TOO_MANY_REQUESTS

from site_builder.access.db import now_utc, secret_hash
from site_builder.access.invites import Invite
from site_builder.access.join import Profile, join
from site_builder.services.errors import EditError, Invalid

from ..context import Ctx
from ..errors import ApiError, edit_error
from ..signin import csrf_of, sign_in
from .common import Code

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parents[1] / "templates"),
    autoescape=select_autoescape(default=True),
)
FIELDS = ("username", "fullname", "webpage_url")


def _style_hash(template: str) -> str:
    """The CSP source of the template's one inline <style> block (its SHA-256)."""
    source = (Path(__file__).resolve().parents[1] / "templates" / template).read_text("utf-8")
    found = re.search(r"<style>(.*?)</style>", source, re.DOTALL)
    assert found is not None, f"{template} has no <style> block"
    digest = hashlib.sha256(found.group(1).encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


JOIN_CSP = (
    f"default-src 'none'; style-src {_style_hash('join.html')}; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
"""The join form posts to itself and is styled by its own inline block; nothing else
loads (the API's default CSP forbids forms and inline styles)."""
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _page(
    status: int,
    cookies: list[Cookie] | None = None,
    headers: dict[str, str] | None = None,
    **values: Any,
) -> Response[str]:
    values.setdefault("form", dict.fromkeys(FIELDS, ""))
    values.setdefault("errors", {})
    html = _templates.get_template("join.html").render(**values)
    return Response(
        html,
        status_code=status,
        media_type=MediaType.HTML,
        headers={**NO_STORE, "Content-Security-Policy": JOIN_CSP, **(headers or {})},
        cookies=cookies,
    )


def _event_name(ctx: Ctx, invite: Invite | None) -> str:
    event = ctx.site().events.get(invite.event) if invite else None
    return event.name if event else (invite.event if invite else "the event")


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media == "application/json"


def _limit(ctx: Ctx, request: Request[Any, Any, Any], code: Code) -> None:
    """429 with Retry-After past the join limits of the address or the invite."""
    per_address, per_invite = ctx.join_limits
    now = time.monotonic()
    client = request.client.host if request.client else "-"
    wait = per_address.take(client, now) or per_invite.take(secret_hash(code), now)
    if wait:
        seconds = str(math.ceil(wait))
        raise ApiError(
            HTTP_429_TOO_MANY_REQUESTS,
            f"too many attempts to join: wait {seconds} s (organisers expecting a room to join "
            "at once raise `jamdat api --join-rate-limit` / `--invite-rate-limit`)",
            headers={"Retry-After": seconds},
        )


@get("/join/{code:str}", sync_to_thread=False, include_in_schema=False)
def join_form(ctx: Ctx, request: Request[Any, Any, Any], code: Code) -> Response[str]:
    """The join form, or why the link cannot be used."""
    invite = ctx.invites.find(code)
    name = _event_name(ctx, invite)
    if invite is None:
        return _page(404, event_name=name, message="This invite link is not valid.")
    status = invite.status(now_utc())
    if status != "open":
        return _page(410, event_name=name, message=f"This invite link is {status}.")
    providers = [(p.name, p.label) for p in ctx.settings.oauth.values()]
    return _page(
        200, event_name=name, usable=True, csrf=csrf_of(request), providers=providers, code=code
    )


@post("/join/{code:str}", include_in_schema=False, opt={"csrf": False})
async def join_submit(ctx: Ctx, request: Request[Any, Any, Any], code: Code) -> Response[Any]:
    """Join: JSON in and out for scripts, a form and a page for browsers."""
    as_json = _wants_json(request)
    try:
        _limit(ctx, request, code)
    except ApiError as exc:
        if as_json:
            raise
        return _page(
            exc.status_code, headers=exc.headers, event_name="the event", message=exc.detail
        )
    raw: Any = await request.json() if as_json else dict(await request.form())
    if not isinstance(raw, dict):
        raw = {}
    form = {f: raw.get(f) if isinstance(raw.get(f), str) else "" for f in FIELDS}
    invite = ctx.invites.find(code)
    try:
        editor = await join(ctx.invites, ctx.site(), ctx.apply, code, Profile(**form))
    except EditError as exc:
        if as_json:
            raise
        errors = {}
        message = str(exc)
        if isinstance(exc, Invalid):
            errors = {p.field: p.message for p in exc.problems if p.field}
            message = "Please correct the fields below."
        status = edit_error(request, exc).status_code or 400
        usable = status not in (404, 410)
        return _page(
            status,
            event_name=_event_name(ctx, invite),
            message=message,
            errors=errors,
            form=form,
            usable=usable,
        )
    cookie, session, csrf = sign_in(request, editor)
    assert invite is not None
    event = ctx.site().events.get(invite.event)
    if as_json:
        body = {"user": editor.user, "role": editor.role, "session": session.id, "csrf": csrf}
        return Response(body, status_code=HTTP_201_CREATED, cookies=[cookie], headers=NO_STORE)
    return _page(
        HTTP_201_CREATED,
        cookies=[cookie],
        done=True,
        event_name=_event_name(ctx, invite),
        username=editor.user,
        fullname=form["fullname"].strip(),
        role=editor.role,
        take_part=f"/me/events/{invite.event}" if event else "/me/",
        site_url=ctx.site().config.site_url + (f"{event.slug}/" if event else ""),
    )
