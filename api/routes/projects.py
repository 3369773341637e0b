"""/api/v1/events/{event}/projects: projects, their stage and their activity log."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.params import JSONBody, Parameter

from site_builder.model import Activity, Project
from site_builder.services import projects as ops
from site_builder.services.editor import Editor
from site_builder.services.entries import activity_etag, project_etag
from site_builder.services.errors import NotFound

from ..auth import current_editor, editor_of, require_organiser, require_team
from ..context import Ctx
from ..docs import ANYONE, CHANGE, CREATE, DELETE, EDITORS, READ_ENTRY, READ_ETAG, NeedsIfMatch
from ..schemas import Page, PostCreate, ProjectCreate, ProjectPatch, StageChange, none_to_empty
from .common import (
    ETAG_HEADER,
    ActivityId,
    EntrySlug,
    EventSlug,
    PageNumber,
    PerPage,
    entry,
    outcome_response,
    paginate,
    precondition,
)

Hard = Annotated[
    bool, Parameter(description="Remove the project and its log instead of hiding it.")
]


def _visible(project: Project, editor: Editor | None) -> bool:
    """Hidden projects exist only for organisers and their own team."""
    return not project.is_hidden or (editor is not None and editor.may_edit(project))


class ProjectController(Controller):
    path = "/api/v1/events/{event:str}/projects"
    tags = ("projects",)

    def _project(self, ctx: Ctx, request: Request[Any, Any, Any], event: str, slug: str) -> Project:
        site = ctx.site()
        if event not in site.events:
            raise NotFound(f"event {event!r} does not exist")
        found = site.projects.get((event, slug))
        if found is None or not _visible(found, editor_of(request)):
            raise NotFound(f"project {slug!r} does not exist in event {event!r}")
        return found

    @get("/", sync_to_thread=False, security=ANYONE, responses=READ_ENTRY)
    def list_projects(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        page: PageNumber = 1,
        per_page: PerPage = None,
    ) -> Page[Project]:
        site = ctx.site()
        if event not in site.events:
            raise NotFound(f"event {event!r} does not exist")
        editor = editor_of(request)
        items = sorted(
            (p for p in site.projects_of(event) if _visible(p, editor)), key=lambda p: p.slug
        )
        return paginate(items, page, per_page or ctx.settings.per_page)

    @get(
        "/{slug:str}",
        sync_to_thread=False,
        response_headers=ETAG_HEADER,
        security=ANYONE,
        responses=READ_ETAG,
    )
    def get_project(
        self, ctx: Ctx, request: Request[Any, Any, Any], event: EventSlug, slug: EntrySlug
    ) -> Response[Project]:
        found = self._project(ctx, request, event, slug)
        return entry(request, found, project_etag(found))

    @post(
        "/",
        guards=[require_organiser],
        response_headers=ETAG_HEADER,
        security=EDITORS,
        responses=CREATE,
    )
    async def create_project(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        data: JSONBody[ProjectCreate],
    ) -> Response[Project]:
        editor = current_editor(request)
        record = Project(event=event, **none_to_empty(data.changes(), ("category",)))
        outcome = await ctx.apply(lambda site, now: ops.create_project(site, editor, record, now))
        return outcome_response(request, outcome)

    @patch(
        "/{slug:str}",
        guards=[require_team],
        response_headers=ETAG_HEADER,
        security=EDITORS,
        responses=CHANGE,
        operation_class=NeedsIfMatch,
    )
    async def update_project(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        slug: EntrySlug,
        data: JSONBody[ProjectPatch],
    ) -> Response[Project]:
        """Members may change their own project's texts and links; organisers anything."""
        editor, pre = current_editor(request), precondition(request)
        changes = none_to_empty(data.changes(), ("category",))
        outcome = await ctx.apply(
            lambda site, now: ops.update_project(site, editor, event, slug, pre, changes, now)
        )
        return outcome_response(request, outcome)

    @put(
        "/{slug:str}/stage",
        guards=[require_team],
        response_headers=ETAG_HEADER,
        security=EDITORS,
        responses=CHANGE,
        operation_class=NeedsIfMatch,
    )
    async def change_stage(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        slug: EntrySlug,
        data: JSONBody[StageChange],
    ) -> Response[Project]:
        """Move the project to another stage of the ladder (see /api/v1/stages)."""
        editor, pre = current_editor(request), precondition(request)
        outcome = await ctx.apply(
            lambda site, now: ops.change_stage(site, editor, event, slug, pre, data.progress, now)
        )
        return outcome_response(request, outcome)

    @delete(
        "/{slug:str}",
        guards=[require_organiser],
        security=EDITORS,
        responses=DELETE,
        operation_class=NeedsIfMatch,
    )
    async def delete_project(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        slug: EntrySlug,
        hard: Hard = False,
    ) -> None:
        """Hide the project from the site (reversible), or with `hard=true` remove it."""
        editor, pre = current_editor(request), precondition(request)
        op = ops.delete_project if hard else ops.hide_project
        await ctx.apply(lambda site, now: op(site, editor, event, slug, pre, now))

    @get("/{slug:str}/activities", sync_to_thread=False, security=ANYONE, responses=READ_ENTRY)
    def list_activities(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        slug: EntrySlug,
        page: PageNumber = 1,
        per_page: PerPage = None,
    ) -> Page[Activity]:
        """The project's log, newest first."""
        self._project(ctx, request, event, slug)
        items = sorted(
            (a for a in ctx.site().activities.values() if a.event == event and a.project == slug),
            key=lambda a: a.id,
            reverse=True,
        )
        return paginate(items, page, per_page or ctx.settings.per_page)

    @post(
        "/{slug:str}/activities",
        guards=[require_team],
        response_headers=ETAG_HEADER,
        security=EDITORS,
        responses=CREATE,
    )
    async def post_activity(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        slug: EntrySlug,
        data: JSONBody[PostCreate],
    ) -> Response[Activity]:
        """Post an update ("drib") to the project's log: Markdown, shown on its page.
        A team may post `posts_per_hour` times an hour (429 beyond, with Retry-After), each
        post at most `max_post_bytes` (413 beyond); organisers only the latter."""
        editor = current_editor(request)
        outcome = await ctx.apply(
            lambda site, now: ops.post_activity(
                site, editor, event, slug, data.content, data.ref_url, now, ctx.posts
            )
        )
        return outcome_response(request, outcome)

    @get(
        "/{slug:str}/activities/{activity:str}",
        sync_to_thread=False,
        response_headers=ETAG_HEADER,
        security=ANYONE,
        responses=READ_ETAG,
    )
    def get_activity(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        slug: EntrySlug,
        activity: ActivityId,
    ) -> Response[Activity]:
        """One entry of the project's log, with the ETag a delete needs."""
        self._project(ctx, request, event, slug)
        found = ops.find_activity(ctx.site(), event, slug, activity)
        return entry(request, found, activity_etag(found))

    @delete(
        "/{slug:str}/activities/{activity:str}",
        guards=[require_team],
        security=EDITORS,
        responses=DELETE,
        operation_class=NeedsIfMatch,
    )
    async def delete_activity(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        slug: EntrySlug,
        activity: ActivityId,
    ) -> None:
        """Remove an entry from the project's log (and so from the site): organisers any
        entry, members only their own posts."""
        editor, pre = current_editor(request), precondition(request)
        await ctx.apply(
            lambda site, now: ops.delete_activity(site, editor, event, slug, activity, pre, now)
        )
