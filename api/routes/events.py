"""/api/v1/events: read by anyone, changed by organisers."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import JSONBody

from site_builder.model import Event
from site_builder.services import events as ops
from site_builder.services.entries import event_etag
from site_builder.services.errors import NotFound

from ..auth import current_editor, require_organiser
from ..context import Ctx
from ..docs import ANYONE, CHANGE, CREATE, DELETE, EDITORS, READ, READ_ETAG, NeedsIfMatch
from ..schemas import EventCreate, EventPatch, Page
from .common import (
    ETAG_HEADER,
    EventSlug,
    PageNumber,
    PerPage,
    entry,
    outcome_response,
    paginate,
    precondition,
)


class EventController(Controller):
    path = "/api/v1/events"
    tags = ("events",)

    @get("/", sync_to_thread=False, security=ANYONE, responses=READ)
    def list_events(self, ctx: Ctx, page: PageNumber = 1, per_page: PerPage = None) -> Page[Event]:
        """Events, newest first."""
        events = sorted(
            ctx.site().events.values(),
            key=lambda e: (e.starts_at.isoformat(), e.slug),
            reverse=True,
        )
        return paginate(events, page, per_page or ctx.settings.per_page)

    @get(
        "/{event:str}",
        sync_to_thread=False,
        response_headers=ETAG_HEADER,
        security=ANYONE,
        responses=READ_ETAG,
    )
    def get_event(
        self, ctx: Ctx, request: Request[Any, Any, Any], event: EventSlug
    ) -> Response[Event]:
        found = ctx.site().events.get(event)
        if found is None:
            raise NotFound(f"event {event!r} does not exist")
        return entry(request, found, event_etag(found))

    @post(
        "/",
        guards=[require_organiser],
        response_headers=ETAG_HEADER,
        security=EDITORS,
        responses=CREATE,
    )
    async def create_event(
        self, ctx: Ctx, request: Request[Any, Any, Any], data: JSONBody[EventCreate]
    ) -> Response[Event]:
        editor = current_editor(request)
        record = Event(**data.changes())
        outcome = await ctx.apply(lambda site, now: ops.create_event(site, editor, record, now))
        return outcome_response(request, outcome)

    @patch(
        "/{event:str}",
        guards=[require_organiser],
        response_headers=ETAG_HEADER,
        security=EDITORS,
        responses=CHANGE,
        operation_class=NeedsIfMatch,
    )
    async def update_event(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        data: JSONBody[EventPatch],
    ) -> Response[Event]:
        editor, pre, changes = current_editor(request), precondition(request), data.changes()
        outcome = await ctx.apply(
            lambda site, now: ops.update_event(site, editor, event, pre, changes, now)
        )
        return outcome_response(request, outcome)

    @delete(
        "/{event:str}",
        guards=[require_organiser],
        security=EDITORS,
        responses=DELETE,
        operation_class=NeedsIfMatch,
    )
    async def delete_event(
        self, ctx: Ctx, request: Request[Any, Any, Any], event: EventSlug
    ) -> None:
        """Only an event without projects and categories can be deleted."""
        editor, pre = current_editor(request), precondition(request)
        await ctx.apply(lambda site, now: ops.delete_event(site, editor, event, pre, now))
