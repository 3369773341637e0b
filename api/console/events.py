"""Console pages for events: the list, creating and editing one, opening and closing it.

Every form posts to the same edit services as the JSON API (`services.events`), through
`ctx.apply`, so slugs, zones and dates are checked identically.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect

from site_builder.archive import schema
from site_builder.archive.rules import zone_names
from site_builder.errors import Problem
from site_builder.model import Event
from site_builder.services import events as ops
from site_builder.services.entries import Precondition, event_etag
from site_builder.services.errors import EditError, Invalid, NotFound

from ..auth import current_editor
from ..context import Ctx
from ..routes.common import EventSlug
from .pages import PREFIX, Req, done, failure, field, page

TEXT = ("name", "summary", "timezone", "location", "webpage_url", "community_url")
WHEN = ("starts_at", "ends_at")
LOCKS = ("lock_starting", "lock_editing")
STAMP = "%Y-%m-%dT%H:%M"


def _zones() -> list[str]:
    return sorted(zone_names())


def _values(event: Event | None) -> dict[str, str]:
    """What an event's form shows."""
    if event is None:
        return {name: "" for name in ("slug", *TEXT, *WHEN)}
    values = {name: str(getattr(event, name) or "") for name in ("slug", *TEXT)}
    values.update({name: getattr(event, name).strftime(STAMP) for name in WHEN})
    values.update({name: "on" if getattr(event, name) else "" for name in LOCKS})
    return values


def _parsed(form: dict[str, str]) -> dict[str, Any]:
    """Fields of an event form as the service takes them; dates must be given and valid."""
    changes: dict[str, Any] = {name: form[name] for name in TEXT}
    problems = []
    for name in WHEN:
        try:
            changes[name] = datetime.strptime(form[name], STAMP)
        except ValueError:
            problems.append(
                Problem(
                    schema.EVENTS.path, "must be a date and time (YYYY-MM-DDTHH:MM)", None, name
                )
            )
    if problems:
        raise Invalid(problems)
    return changes


async def _form(request: Req, names: tuple[str, ...]) -> dict[str, str]:
    form = await request.form()
    return {name: field(form, name) for name in names}


def _form_page(request: Req, status: int, **values: Any) -> Response[str]:
    values.setdefault("errors", {})
    values.setdefault("message", "")
    return page(request, "event_form.html", status, zones=_zones(), **values)


@get(f"{PREFIX}/", sync_to_thread=False, include_in_schema=False)
def events_page(ctx: Ctx, request: Req) -> Response[str]:
    """Every event, newest first, with its state and counts."""
    site = ctx.site()
    events = sorted(
        site.events.values(), key=lambda e: (e.starts_at.isoformat(), e.slug), reverse=True
    )
    counts = {e.slug: sum(1 for _ in site.projects_of(e.slug)) for e in events}
    return page(request, "events.html", events=events, counts=counts)


@get(f"{PREFIX}/events/new", sync_to_thread=False, include_in_schema=False)
def new_event_page(request: Req) -> Response[str]:
    return _form_page(request, 200, form=_values(None), creating=True)


@post(f"{PREFIX}/events", include_in_schema=False)
async def create_event(ctx: Ctx, request: Req) -> Response[str] | Redirect:
    form = await _form(request, ("slug", *TEXT, *WHEN))
    editor = current_editor(request)
    try:
        record = Event(slug=form["slug"], **_parsed(form))
        await ctx.apply(
            lambda site, now: ops.create_event(site, editor, record, now), "create_event"
        )
    except EditError as exc:
        status, message, errors = failure(exc)
        return _form_page(request, status, form=form, creating=True, message=message, errors=errors)
    return done(request, f"{PREFIX}/events/{record.slug}", f"Created event {record.name}.")


def _event(ctx: Ctx, slug: str) -> Event:
    event = ctx.site().events.get(slug)
    if event is None:
        raise NotFound(f"event {slug!r} does not exist")
    return event


@get(f"{PREFIX}/events/{{event:str}}/edit", sync_to_thread=False, include_in_schema=False)
def edit_event_page(ctx: Ctx, request: Req, event: EventSlug) -> Response[str]:
    found = _event(ctx, event)
    return _form_page(request, 200, form=_values(found), etag=event_etag(found), event=found)


@post(f"{PREFIX}/events/{{event:str}}/edit", include_in_schema=False)
async def update_event(ctx: Ctx, request: Req, event: EventSlug) -> Response[str] | Redirect:
    """Save the form; the hidden ETag makes an edit made meanwhile a conflict, not a loss."""
    found = _event(ctx, event)
    form = await _form(request, (*TEXT, *WHEN, *LOCKS, "etag"))
    editor = current_editor(request)
    try:
        changes = _parsed(form)
        changes.update({name: form[name] == "on" for name in LOCKS})
        pre = Precondition.parse(form["etag"])
        await ctx.apply(
            lambda site, now: ops.update_event(site, editor, event, pre, changes, now),
            "update_event",
        )
    except EditError as exc:
        status, message, errors = failure(exc)
        return _form_page(
            request,
            status,
            form={**form, "slug": event},
            etag=form["etag"],
            event=found,
            message=message,
            errors=errors,
        )
    return done(request, f"{PREFIX}/events/{event}", f"Saved {found.name}.")


@post(f"{PREFIX}/events/{{event:str}}/state", include_in_schema=False)
async def open_close(ctx: Ctx, request: Req, event: EventSlug) -> Redirect:
    """Open (participants may start and edit projects) or close (both locks) an event."""
    found = _event(ctx, event)
    closing = field(await request.form(), "state") == "close"
    changes: dict[str, Any] = dict.fromkeys(LOCKS, closing)
    editor = current_editor(request)
    pre = Precondition(any=True)  # a toggle: whatever else changed meanwhile stays
    try:
        await ctx.apply(
            lambda site, now: ops.update_event(site, editor, event, pre, changes, now),
            "update_event",
        )
    except EditError as exc:
        return done(request, f"{PREFIX}/", failure(exc)[1])
    word = "closed: no new projects, projects frozen for members" if closing else "open"
    return done(request, f"{PREFIX}/", f"{found.name} is {word}.")
