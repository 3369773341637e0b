"""Sync jobs and the history of builds and syncs: organisers only.

`POST .../sync` starts the sync engine in the background and answers 202 with the job;
while a sync of the event runs, asking again for it (or for one of its projects, when
the whole event is syncing) answers 202 with the running job, and asking for another
project answers 409 naming it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter, PathParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_409_CONFLICT

from site_builder.services.errors import NotFound
from site_builder.services.history import Kind, Run

from ..auth import current_editor, require_organiser
from ..context import Ctx
from ..docs import EDITORS, errors
from ..errors import ApiError
from ..syncjobs import Busy, SyncJob
from .common import EntrySlug, EventSlug

JobId = Annotated[str, PathParameter(pattern=r"^[0-9a-f]{1,32}$", description="The job's `id`.")]
HistoryLimit = Annotated[int, Parameter(ge=1, le=1000, description="At most this many runs.")]
HistoryKind = Annotated[
    Kind | None, Parameter(description="Only builds or only syncs (default: both).")
]


def _started(
    ctx: Ctx, request: Request[Any, Any, Any], event: str, project: str
) -> Response[SyncJob]:
    try:
        job, _new = ctx.syncs.start(event, project, current_editor(request).user)
    except Busy as exc:
        raise ApiError(
            HTTP_409_CONFLICT, str(exc), headers={"Location": f"/api/v1/jobs/{exc.job.id}"}
        ) from exc
    return Response(
        job, status_code=HTTP_202_ACCEPTED, headers={"Location": f"/api/v1/jobs/{job.id}"}
    )


class SyncController(Controller):
    path = "/api/v1/events/{event:str}"
    tags = ("jobs",)
    guards = (require_organiser,)
    security = EDITORS

    @post("/sync", status_code=HTTP_202_ACCEPTED, responses=errors(401, 403, 404, 409))
    async def sync_event(
        self, ctx: Ctx, request: Request[Any, Any, Any], event: EventSlug
    ) -> Response[SyncJob]:
        """Sync every project of the event from its forge or web page, in the background."""
        if event not in ctx.site().events:
            raise NotFound(f"event {event!r} does not exist")
        return _started(ctx, request, event, "")

    @post(
        "/projects/{slug:str}/sync",
        status_code=HTTP_202_ACCEPTED,
        responses=errors(401, 403, 404, 409),
    )
    async def sync_project(
        self, ctx: Ctx, request: Request[Any, Any, Any], event: EventSlug, slug: EntrySlug
    ) -> Response[SyncJob]:
        """Sync one project, in the background."""
        if (event, slug) not in ctx.site().projects:
            raise NotFound(f"project {slug!r} does not exist in event {event!r}")
        return _started(ctx, request, event, slug)


class JobController(Controller):
    path = "/api/v1/jobs"
    tags = ("jobs",)
    guards = (require_organiser,)
    security = EDITORS

    @get("/{job_id:str}", sync_to_thread=False, responses=errors(401, 403, 404))
    def get_job(self, ctx: Ctx, job_id: JobId) -> SyncJob:
        """A sync job: its status, progress (`done` of `total`), outcomes and summary."""
        return _job(ctx, job_id)

    @get("/{job_id:str}/stream", sync_to_thread=False, responses=errors(401, 403, 404))
    def stream(self, ctx: Ctx, job_id: JobId) -> ServerSentEvent:
        """Server-sent events: `status` (the job), a `progress` per project (`done`,
        `total`, `project`), then `finished` or `failed` (the job), and the stream ends."""
        job = _job(ctx, job_id)

        async def events() -> AsyncIterator[ServerSentEventMessage]:
            async for event in ctx.syncs.stream(job):
                yield ServerSentEventMessage(
                    data=msgspec.json.encode(event.data).decode(), event=event.kind
                )

        return ServerSentEvent(events())


class HistoryController(Controller):
    path = "/api/v1/history"
    tags = ("jobs",)
    guards = (require_organiser,)
    security = EDITORS

    @get("/", sync_to_thread=True, responses=errors(401, 403, 422))
    def history(self, ctx: Ctx, kind: HistoryKind = None, limit: HistoryLimit = 50) -> list[Run]:
        """Builds and syncs, newest first: when, who, what changed, how long, outcome."""
        return ctx.history.list(kind, limit)


def _job(ctx: Ctx, job_id: str) -> SyncJob:
    job = ctx.syncs.get(job_id)
    if job is None:
        raise NotFound(f"no sync job {job_id!r} (jobs are kept until the server restarts)")
    return job
