"""Team formation: start a project, join or leave its team, approve challenges, and
preview a pitch as the site will show it."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, post, put
from litestar.params import JSONBody, PathParameter

from site_builder.model import Project
from site_builder.services import teams as ops
from site_builder.services.preview import preview_pitch

from ..auth import current_editor, require_editor, require_organiser
from ..context import Ctx
from ..docs import CHANGE, CREATE, EDITORS, NeedsIfMatch, errors
from ..schemas import Preview, PreviewRequest, ProjectStart
from .common import ETAG_HEADER, EntrySlug, EventSlug, outcome_response, precondition

Username = Annotated[
    str,
    PathParameter(
        pattern=r"^[^\s,/]{1,80}$",
        description="A username (no spaces, commas or slashes).",
    ),
]
TEAM = errors(400, 403, 404, 409, 503)


class TeamController(Controller):
    path = "/api/v1/events/{event:str}"
    tags = ("teams",)

    @post(
        "/start",
        guards=[require_editor],
        response_headers=ETAG_HEADER,
        security=EDITORS,
        responses=CREATE,
    )
    async def start_project(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        data: JSONBody[ProjectStart],
    ) -> Response[Project]:
        """Start a project (any signed-in participant): its slug comes from the name, it
        begins at the first project stage, with the caller as team and maintainer. From a
        `challenge`, it joins the challenge's category. 409 when the event has
        `lock_starting`."""
        editor = current_editor(request)
        outcome = await ctx.apply(
            lambda site, now: ops.start_project(
                site, editor, event, data.name, now, summary=data.summary, challenge=data.challenge
            )
        )
        return outcome_response(request, outcome)

    @put(
        "/projects/{slug:str}/team/{user:str}",
        guards=[require_editor],
        response_headers=ETAG_HEADER,
        security=EDITORS,
        responses=TEAM,
    )
    async def join_team(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        slug: EntrySlug,
        user: Username,
    ) -> Response[Project]:
        """Join the team (members themselves, organisers anyone); idempotent. 409 for a
        challenge or, for members, when the event has `lock_editing`."""
        editor = current_editor(request)
        outcome = await ctx.apply(
            lambda site, now: ops.join_team(site, editor, event, slug, user, now)
        )
        return outcome_response(request, outcome)

    @delete(
        "/projects/{slug:str}/team/{user:str}",
        guards=[require_editor],
        status_code=200,
        response_headers=ETAG_HEADER,
        security=EDITORS,
        responses=TEAM,
    )
    async def leave_team(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        event: EventSlug,
        slug: EntrySlug,
        user: Username,
    ) -> Response[Project]:
        """Leave the team (members themselves, organisers remove anyone). 409 for the last
        member of a project or, for members, when the event has `lock_editing`."""
        editor = current_editor(request)
        outcome = await ctx.apply(
            lambda site, now: ops.leave_team(site, editor, event, slug, user, now)
        )
        return outcome_response(request, outcome)

    @post(
        "/projects/{slug:str}/approve",
        guards=[require_organiser],
        status_code=200,
        response_headers=ETAG_HEADER,
        security=EDITORS,
        responses=CHANGE,
        operation_class=NeedsIfMatch,
    )
    async def approve_challenge(
        self, ctx: Ctx, request: Request[Any, Any, Any], event: EventSlug, slug: EntrySlug
    ) -> Response[Project]:
        """Approve a challenge awaiting approval (negative progress): it moves to the
        challenge stage. Organisers only; 409 when it does not await approval."""
        editor, pre = current_editor(request), precondition(request)
        outcome = await ctx.apply(
            lambda site, now: ops.approve_challenge(site, editor, event, slug, pre, now)
        )
        return outcome_response(request, outcome)


class PreviewController(Controller):
    path = "/api/v1/preview"
    tags = ("teams",)

    @post(
        "/",
        guards=[require_editor],
        status_code=200,
        sync_to_thread=False,
        security=EDITORS,
        responses=errors(400, 403, 404, 413, 415),
    )
    def preview(
        self, ctx: Ctx, request: Request[Any, Any, Any], data: JSONBody[PreviewRequest]
    ) -> Preview:
        """The HTML of a pitch exactly as the static project page will show it (same
        renderer, sanitizer and link handling)."""
        editor = current_editor(request)
        html = preview_pitch(ctx.site(), editor, data.markdown, data.event, data.project)
        return Preview(html=html)
