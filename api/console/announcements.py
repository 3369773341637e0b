"""The console's announcements to an event: post one, correct its text or link, delete
it. Each form calls the service the JSON API calls (one archive transaction) and comes
back to the event page with the outcome."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from litestar import post
from litestar.response import Redirect

from site_builder.archive import schema
from site_builder.model import Site
from site_builder.services import announcements as ops
from site_builder.services.common import Outcome
from site_builder.services.entries import Precondition
from site_builder.services.errors import EditError

from ..auth import current_editor
from ..context import Ctx
from ..routes.common import ActivityId, EventSlug
from ..schemas import AnnouncementPatch
from ..webpages import check_form
from .pages import PREFIX, Req, done, failure, field

TEXTS = ("content", "ref_url")


def _back(event: str) -> str:
    return f"{PREFIX}/events/{event}#announcements"


async def _act(
    ctx: Ctx,
    request: Req,
    event: str,
    op: Callable[[Site, datetime], Outcome],
    kind: str,
    success: str,
) -> Redirect:
    try:
        await ctx.apply(op, kind)
    except EditError as exc:
        return done(request, _back(event), failure(exc)[1])
    return done(request, _back(event), success)


async def _texts(request: Req) -> tuple[dict[str, str], Precondition]:
    form = await request.form()
    values = {name: field(form, name) for name in TEXTS}
    check_form(values, AnnouncementPatch, schema.ACTIVITIES.path)
    return values, Precondition.parse(field(form, "etag"))


@post(f"{PREFIX}/events/{{event:str}}/announcements", include_in_schema=False)
async def announce(ctx: Ctx, request: Req, event: EventSlug) -> Redirect:
    editor = current_editor(request)
    try:
        values, _ = await _texts(request)
    except EditError as exc:
        return done(request, _back(event), failure(exc)[1])
    return await _act(
        ctx,
        request,
        event,
        lambda site, now: ops.announce(
            site, editor, event, values["content"], values["ref_url"], now, ctx.posts
        ),
        "announce",
        "Announced.",
    )


@post(f"{PREFIX}/events/{{event:str}}/announcements/{{activity:str}}/edit", include_in_schema=False)
async def edit(ctx: Ctx, request: Req, event: EventSlug, activity: ActivityId) -> Redirect:
    editor = current_editor(request)
    try:
        values, pre = await _texts(request)
    except EditError as exc:
        return done(request, _back(event), failure(exc)[1])
    return await _act(
        ctx,
        request,
        event,
        lambda site, now: ops.edit_announcement(
            site, editor, event, activity, pre, values["content"], values["ref_url"], now, ctx.posts
        ),
        "edit_announcement",
        "Saved the announcement.",
    )


@post(
    f"{PREFIX}/events/{{event:str}}/announcements/{{activity:str}}/delete",
    include_in_schema=False,
)
async def delete(ctx: Ctx, request: Req, event: EventSlug, activity: ActivityId) -> Redirect:
    editor = current_editor(request)
    pre = Precondition.parse(field(await request.form(), "etag"))
    return await _act(
        ctx,
        request,
        event,
        lambda site, now: ops.delete_announcement(site, editor, event, activity, pre, now),
        "delete_announcement",
        "Deleted the announcement.",
    )
