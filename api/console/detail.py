"""The console's event page: its challenges and projects (approve, hide, stage) and the
order teams pitch in (move buttons without JavaScript; `console.js` adds dragging to the
same form). Each action calls the service the JSON API calls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect

from site_builder.model import Project, Site
from site_builder.render.index import is_challenge
from site_builder.render.slides import pitch_key
from site_builder.services import announcements as announcement_ops
from site_builder.services import projects as project_ops
from site_builder.services import teams
from site_builder.services.common import Outcome
from site_builder.services.entries import Precondition, activity_etag, project_etag
from site_builder.services.errors import EditError, NotFound
from site_builder.services.pitches import reorder_pitches

from ..auth import current_editor
from ..context import Ctx
from ..routes.common import EntrySlug, EventSlug
from .pages import PREFIX, Req, done, failure, field, page


def pitches(site: Site, event: str) -> list[Project]:
    """The event's visible projects in the order the deck shows them."""
    return sorted((p for p in site.projects_of(event) if not p.is_hidden), key=pitch_key)


@get(f"{PREFIX}/events/{{event:str}}", sync_to_thread=False, include_in_schema=False)
def event_page(ctx: Ctx, request: Req, event: EventSlug) -> Response[str]:
    site = ctx.site()
    found = site.events.get(event)
    if found is None:
        raise NotFound(f"event {event!r} does not exist")
    projects = sorted(site.projects_of(event), key=lambda p: (p.name.casefold(), p.slug))
    return page(
        request,
        "event.html",
        event=found,
        challenges=[p for p in projects if is_challenge(p)],
        projects=[p for p in projects if not is_challenge(p)],
        pitches=pitches(site, event),
        ladder=site.stages.ladder,
        stage_of=site.stages.stage_for,
        etag_of=project_etag,
        announcements=announcement_ops.announcements(site, event),
        activity_etag=activity_etag,
    )


async def _act(
    ctx: Ctx,
    request: Req,
    event: str,
    op: Callable[[Site, datetime, Precondition], Outcome],
    kind: str,
    success: str,
) -> Redirect:
    """Run a project action with the form's ETag; the outcome comes back as a flash."""
    pre = Precondition.parse(field(await request.form(), "etag"))
    try:
        await ctx.apply(lambda site, now: op(site, now, pre), kind)
    except EditError as exc:
        return done(request, f"{PREFIX}/events/{event}", failure(exc)[1])
    return done(request, f"{PREFIX}/events/{event}", success)


@post(f"{PREFIX}/events/{{event:str}}/projects/{{slug:str}}/approve", include_in_schema=False)
async def approve(ctx: Ctx, request: Req, event: EventSlug, slug: EntrySlug) -> Redirect:
    editor = current_editor(request)
    return await _act(
        ctx,
        request,
        event,
        lambda site, now, pre: teams.approve_challenge(site, editor, event, slug, pre, now),
        "approve_challenge",
        f"Approved {slug}.",
    )


@post(f"{PREFIX}/events/{{event:str}}/projects/{{slug:str}}/visibility", include_in_schema=False)
async def visibility(ctx: Ctx, request: Req, event: EventSlug, slug: EntrySlug) -> Redirect:
    """Hide a project from the site (its files stay) or show it again."""
    editor = current_editor(request)
    hiding = field(await request.form(), "hidden") == "true"

    def op(site: Site, now: datetime, pre: Precondition) -> Outcome:
        if hiding:
            return project_ops.hide_project(site, editor, event, slug, pre, now)
        changes: dict[str, Any] = {"is_hidden": False}
        return project_ops.update_project(site, editor, event, slug, pre, changes, now)

    word = "Hid" if hiding else "Unhid"
    return await _act(ctx, request, event, op, "hide_project", f"{word} {slug}.")


@post(f"{PREFIX}/events/{{event:str}}/projects/{{slug:str}}/stage", include_in_schema=False)
async def stage(ctx: Ctx, request: Req, event: EventSlug, slug: EntrySlug) -> Redirect:
    """Set any stage of the ladder (organisers are not held to one step up)."""
    editor = current_editor(request)
    text = field(await request.form(), "progress")
    try:
        progress = int(text)
    except ValueError:
        return done(request, f"{PREFIX}/events/{event}", f"Not saved: {text!r} is not a stage.")
    return await _act(
        ctx,
        request,
        event,
        lambda site, now, pre: project_ops.change_stage(
            site, editor, event, slug, pre, progress, now
        ),
        "change_stage",
        f"Moved {slug} to stage {progress}.",
    )


def moved(order: list[str], move: str) -> list[str]:
    """`order` after a button's `slug:up` or `slug:down` (unchanged for anything else)."""
    slug, _, way = move.rpartition(":")
    if slug not in order or way not in ("up", "down"):
        return order
    at = order.index(slug)
    to = at - 1 if way == "up" else at + 1
    if not 0 <= to < len(order):
        return order
    order = list(order)
    order[at], order[to] = order[to], order[at]
    return order


@post(f"{PREFIX}/events/{{event:str}}/pitch-order", include_in_schema=False)
async def pitch_order(ctx: Ctx, request: Req, event: EventSlug) -> Redirect:
    """The form lists the pitches in their shown order (dragging changes it) and may name
    a move; the whole order is saved in one edit."""
    form = await request.form()
    order = moved([s for s in form.getall("order", []) if isinstance(s, str)], field(form, "move"))
    editor = current_editor(request)
    try:
        await ctx.apply(
            lambda site, now: reorder_pitches(site, editor, event, order, now), "reorder_pitches"
        )
    except EditError as exc:
        return done(request, f"{PREFIX}/events/{event}#pitches", failure(exc)[1])
    return done(request, f"{PREFIX}/events/{event}#pitches", "Saved the pitch order.")
