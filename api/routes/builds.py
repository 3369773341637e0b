"""/api/v1/builds: the rebuild queue's status and a stream of its events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_404_NOT_FOUND

from ..auth import current_editor, require_organiser
from ..context import Ctx
from ..docs import ANYONE, EDITORS, READ_ENTRY, errors
from ..errors import ApiError
from ..rebuild import BuildInfo, RebuildQueue

Limit = Annotated[
    int | None,
    Parameter(ge=1, le=10_000, description="Close the stream after this many build events."),
]


def _queue(ctx: Ctx) -> RebuildQueue:
    if ctx.rebuilds is None:
        raise ApiError(
            HTTP_404_NOT_FOUND, "this server does not rebuild the site (it runs with --no-build)"
        )
    return ctx.rebuilds


class BuildController(Controller):
    path = "/api/v1/builds"
    tags = ("builds",)

    @get("/latest", sync_to_thread=False, security=ANYONE, responses=READ_ENTRY)
    def latest(self, ctx: Ctx) -> BuildInfo:
        """The latest build: running, succeeded or failed (the site then stays as it was),
        and whether edits wait for the next one."""
        return _queue(ctx).latest

    @post(
        "/",
        guards=[require_organiser],
        status_code=HTTP_202_ACCEPTED,
        sync_to_thread=False,
        security=EDITORS,
        responses=errors(403, 404),
    )
    def request_build(self, ctx: Ctx, request: Request[Any, Any, Any]) -> BuildInfo:
        """Queue a rebuild (e.g. after changing templates)."""
        queue = _queue(ctx)
        queue.notify(current_editor(request).user)
        return queue.latest

    @get("/events", sync_to_thread=False, security=ANYONE, responses=READ_ENTRY)
    def events(self, ctx: Ctx, limit: Limit = None) -> ServerSentEvent:
        """Server-sent events: `status` first, then `build-started`, `build-finished` and
        `build-failed`, each with the build as JSON."""
        queue = _queue(ctx)

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            async for event in queue.events(limit):
                yield ServerSentEventMessage(
                    data=msgspec.json.encode(event.build).decode(), event=event.kind
                )

        return ServerSentEvent(stream())
