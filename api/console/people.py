"""The console's people page: public profiles, sessions (revoke) and invites (create,
showing the join link once after a redirect, and revoke), through the stores the JSON
API uses."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect

from site_builder.access.db import now_utc
from site_builder.errors import Problem
from site_builder.services.errors import EditError, Invalid, NotFound

from ..auth import current_editor, session_of
from ..context import Ctx
from ..routes.common import SecretId
from ..routes.invites import join_link
from .pages import PREFIX, Req, done, failure, field, page

INVITE_FIELDS = ("event", "role", "uses", "expires_hours")
InviteShown = Annotated[str, Parameter(max_length=100, description="A new invite's id.")]


def _owner(request: Req) -> str:
    """Whom a revealed link is kept for: this browser's session (or the token's user)."""
    session = session_of(request)
    return f"session:{session.id}" if session else f"user:{current_editor(request).user}"


def _people_page(ctx: Ctx, request: Req, status: int = 200, **values: Any) -> Response[str]:
    site, now = ctx.site(), now_utc()
    values.setdefault("form", {"role": "member", "uses": "1", "expires_hours": "", "event": ""})
    values.setdefault("errors", {})
    return page(
        request,
        "people.html",
        status,
        people=sorted(site.people.values(), key=lambda p: p.username.casefold()),
        sessions=[s for s in ctx.sessions.list() if s.status(now) == "ok"],
        invites=[i.public(now) for i in reversed(ctx.invites.list())],
        events=sorted(site.events.values(), key=lambda e: e.starts_at, reverse=True),
        **values,
    )


@get(f"{PREFIX}/people", sync_to_thread=False, include_in_schema=False)
def people_page(ctx: Ctx, request: Req, invite: InviteShown = "") -> Response[str]:
    """The page; with `invite` (the id of one just created), its join link, shown once."""
    if not invite:
        return _people_page(ctx, request)
    link = ctx.reveals.take(_owner(request), invite)
    created = next((i.public(now_utc()) for i in ctx.invites.list() if i.id == invite), None)
    if link is None or created is None:
        return _people_page(ctx, request, shown=invite if created else "")
    return _people_page(ctx, request, link=link, created=created)


def _number(form: dict[str, str], name: str, default: int | None) -> int | None:
    text = form[name]
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise Invalid([Problem("invites", "must be a whole number", None, name)]) from None


@post(f"{PREFIX}/invites", include_in_schema=False)
async def create_invite(ctx: Ctx, request: Req) -> Response[str] | Redirect:
    """Create an invite, then redirect to the people page, which shows its join link
    once: the link waits in memory for this browser, never in a URL, a log or a cookie,
    so reloading neither creates another invite nor shows the link again."""
    raw = await request.form()
    form = {name: field(raw, name) for name in INVITE_FIELDS}
    try:
        if form["event"] not in ctx.site().events:
            raise Invalid([Problem("invites", "choose an event", None, "event")])
        uses = _number(form, "uses", 1) or 0
        hours = _number(form, "expires_hours", None)
        expires = None if hours is None else now_utc() + timedelta(hours=hours)
        code, invite = ctx.invites.create(
            current_editor(request), form["event"], form["role"], uses, expires
        )
    except EditError as exc:
        status, message, errors = failure(exc)
        return _people_page(ctx, request, status, form=form, errors=errors, message=message)
    link = join_link(ctx.site().config.api_url, code, str(request.base_url))
    ctx.reveals.put(_owner(request), invite.id, link)
    to = f"{PREFIX}/people?{urlencode({'invite': invite.id})}#invites"
    return done(request, to, f"Created invite {invite.id}.")


@post(f"{PREFIX}/invites/{{invite_id:str}}/revoke", sync_to_thread=False, include_in_schema=False)
def revoke_invite(ctx: Ctx, request: Req, invite_id: SecretId) -> Redirect:
    try:
        ctx.invites.revoke(current_editor(request), invite_id)
    except EditError as exc:
        return done(request, f"{PREFIX}/people#invites", failure(exc)[1])
    return done(request, f"{PREFIX}/people#invites", f"Revoked invite {invite_id}.")


@post(f"{PREFIX}/sessions/{{session_id:str}}/revoke", sync_to_thread=False, include_in_schema=False)
def revoke_session(ctx: Ctx, request: Req, session_id: SecretId) -> Redirect:
    try:
        session = ctx.sessions.revoke(session_id)
    except (EditError, NotFound) as exc:
        return done(request, f"{PREFIX}/people#sessions", failure(exc)[1])
    return done(request, f"{PREFIX}/people#sessions", f"Signed out {session.user} ({session_id}).")
