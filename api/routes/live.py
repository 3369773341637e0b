"""/api/v1/events/{event}: organisers' announcements (post, edit, delete), and the
event's live activity stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, Parameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.serialization import encode_json
from litestar.status_codes import HTTP_429_TOO_MANY_REQUESTS

from site_builder.model import Activity
from site_builder.services import announcements as ops
from site_builder.services.entries import activity_etag
from site_builder.services.errors import NotFound

from ..auth import current_editor, require_organiser
from ..context import Ctx
from ..docs import (
    ANYONE,
    CHANGE,
    CREATE,
    DELETE,
    EDITORS,
    READ_ENTRY,
    READ_ETAG,
    NeedsIfMatch,
    errors,
)
from ..errors import ApiError
from ..live import TooManyStreams
from ..schemas import AnnouncementPatch, Page, PostCreate
from .common import (
    ETAG_HEADER,
    ActivityId,
    EventSlug,
    PageNumber,
    PerPage,
    entry,
    outcome_response,
    paginate,
    precondition,
)

After = Annotated[
    str,
    Parameter(
        max_length=200,
        description="Send first the activities after this id (e.g. the newest the page "
        "shows); a reconnecting client's `Last-Event-ID` header does the same.",
    ),
]


def _event(ctx: Ctx, event: str) -> None:
    if event not in ctx.site().events:
        raise NotFound(f"event {event!r} does not exist")


class LiveController(Controller):
    path = "/api/v1/events/{event:str}"
    tags = ("activity",)

    @get("/announcements", sync_to_thread=False, security=ANYONE, responses=READ_ENTRY)
    def list_announcements(
        self, ctx: Ctx, event: EventSlug, page: PageNumber = 1, per_page: PerPage = None
    ) -> Page[Activity]:
        """The organisers' announcements to the event, newest first."""
        _event(ctx, event)
        items = ops.announcements(ctx.site(), event)
        return paginate(items, page, per_page or ctx.settings.per_page)

    @post(
        "/announcements",
        guards=[require_organiser],
        response_headers=ETAG_HEADER,
        security=EDITORS,
        responses=CREATE,
    )
    async def announce(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        data: JSONBody[PostCreate],
    ) -> Response[Activity]:
        """Announce something to the whole event (organisers): Markdown, shown at the top
        of the event page and in its activity log, at most `max_post_bytes`."""
        editor = current_editor(request)
        outcome = await ctx.apply(
            lambda site, now: ops.announce(
                site, editor, event, data.content, data.ref_url, now, ctx.posts
            )
        )
        return outcome_response(request, outcome)

    @get(
        "/announcements/{activity:str}",
        sync_to_thread=False,
        response_headers=ETAG_HEADER,
        security=ANYONE,
        responses=READ_ETAG,
    )
    def get_announcement(
        self, ctx: Ctx, request: Request[Any, Any, Any], event: EventSlug, activity: ActivityId
    ) -> Response[Activity]:
        """One announcement, with the ETag an edit or delete needs."""
        found = ops.find_announcement(ctx.site(), event, activity)
        return entry(request, found, activity_etag(found))

    @patch(
        "/announcements/{activity:str}",
        guards=[require_organiser],
        response_headers=ETAG_HEADER,
        security=EDITORS,
        responses=CHANGE,
        operation_class=NeedsIfMatch,
    )
    async def edit_announcement(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        activity: ActivityId,
        data: JSONBody[AnnouncementPatch],
    ) -> Response[Activity]:
        """Correct an announcement's text or link (organisers); it keeps its id and date."""
        editor, pre = current_editor(request), precondition(request)
        changes = data.changes()
        content, ref_url = changes.get("content"), changes.get("ref_url")
        outcome = await ctx.apply(
            lambda site, now: ops.edit_announcement(
                site, editor, event, activity, pre, content, ref_url, now, ctx.posts
            )
        )
        return outcome_response(request, outcome)

    @delete(
        "/announcements/{activity:str}",
        guards=[require_organiser],
        security=EDITORS,
        responses=DELETE,
        operation_class=NeedsIfMatch,
    )
    async def delete_announcement(
        self, ctx: Ctx, request: Request[Any, Any, Any], event: EventSlug, activity: ActivityId
    ) -> None:
        """Remove an announcement from the event (organisers)."""
        editor, pre = current_editor(request), precondition(request)
        await ctx.apply(
            lambda site, now: ops.delete_announcement(site, editor, event, activity, pre, now)
        )

    @get(
        "/stream",
        sync_to_thread=False,
        security=ANYONE,
        responses={
            200: ResponseSpec(
                str,
                description="An endless stream of `activity` events (the activity as JSON).",
                media_type="text/event-stream",
                generate_examples=False,
            ),
            **errors(400, 404),
        },
    )
    def stream(
        self, ctx: Ctx, request: Request[Any, Any, Any], event: EventSlug, after: After = ""
    ) -> ServerSentEvent:
        """Server-sent events: each activity of the event (posts, announcements, stage
        changes, syncs ...) once it is saved, as `activity` events with the activity's JSON
        and its id as the event id; comments as heartbeats. A client reconnecting with
        `Last-Event-ID` first gets what it missed (from a bounded backlog). A client
        address may hold a few streams at once (429 beyond)."""
        _event(ctx, event)
        last = request.headers.get("last-event-id", "").strip()[:200] or after
        address = request.client.host if request.client else "-"
        feed = ctx.live
        try:
            release = feed.claim(address)
        except TooManyStreams:
            raise ApiError(
                HTTP_429_TOO_MANY_REQUESTS,
                f"this address already has {feed.per_address} live streams open: close one",
            ) from None

        async def messages() -> AsyncIterator[ServerSentEventMessage]:
            try:
                async for activity in feed.follow(ctx.site(), event, last):
                    if activity is None:
                        yield ServerSentEventMessage(comment="heartbeat")
                    else:
                        yield ServerSentEventMessage(
                            data=encode_json(activity).decode(), event="activity", id=activity.id
                        )
            finally:
                release()

        return ServerSentEvent(
            messages(), retry_duration=3000, headers={"Cache-Control": "no-store"}
        )
