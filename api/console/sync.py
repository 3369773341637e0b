"""The console's sync buttons, the page that follows a sync job (live over SSE with
`console.js`, by reloading itself without it), and the history of builds and syncs."""

from __future__ import annotations

from litestar import Response, get, post
from litestar.response import Redirect

from site_builder.services.errors import NotFound

from ..auth import current_editor
from ..context import Ctx
from ..routes.common import EntrySlug, EventSlug
from ..routes.jobs import JobId
from ..syncjobs import Busy
from .pages import PREFIX, Req, done, page

REFRESH_SECONDS = 2


def _start(ctx: Ctx, request: Req, event: str, project: str) -> Redirect:
    try:
        job, new = ctx.syncs.start(event, project, current_editor(request).user)
    except Busy as exc:
        return done(request, f"{PREFIX}/jobs/{exc.job.id}", str(exc))
    what = f"{event}/{project}" if project else event
    note = f"Sync of {what} started." if new else f"A sync of {what} is already running."
    return done(request, f"{PREFIX}/jobs/{job.id}", note)


@post(f"{PREFIX}/events/{{event:str}}/sync", sync_to_thread=False, include_in_schema=False)
def sync_event(ctx: Ctx, request: Req, event: EventSlug) -> Redirect:
    if event not in ctx.site().events:
        raise NotFound(f"event {event!r} does not exist")
    return _start(ctx, request, event, "")


@post(
    f"{PREFIX}/events/{{event:str}}/projects/{{slug:str}}/sync",
    sync_to_thread=False,
    include_in_schema=False,
)
def sync_project(ctx: Ctx, request: Req, event: EventSlug, slug: EntrySlug) -> Redirect:
    if (event, slug) not in ctx.site().projects:
        raise NotFound(f"project {slug!r} does not exist in event {event!r}")
    return _start(ctx, request, event, slug)


@get(f"{PREFIX}/jobs/{{job_id:str}}", sync_to_thread=False, include_in_schema=False)
def job_page(ctx: Ctx, request: Req, job_id: JobId) -> Response[str]:
    job = ctx.syncs.get(job_id)
    if job is None:
        raise NotFound(f"no sync job {job_id!r} (jobs are kept until the server restarts)")
    return page(request, "job.html", job=job, refresh=REFRESH_SECONDS)


@get(f"{PREFIX}/history", sync_to_thread=True, include_in_schema=False)
def history_page(ctx: Ctx, request: Req) -> Response[str]:
    return page(request, "history.html", runs=ctx.history.list(None, 200))
