"""A project's page for participants: its team edits it (texts, links, image; a pitch
preview rendered server-side), moves its stage, posts updates; others join its team. Every form
calls the service the JSON API calls, so locks, the ladder and quotas are the same."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect

from site_builder.archive import schema
from site_builder.model import Project, Site
from site_builder.services import projects as ops
from site_builder.services import teams
from site_builder.services.common import Outcome
from site_builder.services.editor import Editor
from site_builder.services.entries import Precondition, project_etag
from site_builder.services.errors import EditError, Invalid, NotFound
from site_builder.services.preview import preview_pitch

from ..auth import current_editor
from ..context import Ctx
from ..routes.common import EntrySlug, EventSlug
from ..schemas import ProjectPatch
from ..webpages import Req, check_form, failure, field
from .pages import PREFIX, done, page

LINKS = tuple(name for name in ops.MEMBER_FIELDS if name.endswith("_url"))
"""The links (and the image) a team member may change, as the JSON API's PATCH does."""
EDITED = ("name", "summary", "pitch", *LINKS)
"""The fields of the edit form; one the form leaves out keeps its value."""
LABELS = {
    "webpage_url": "Demo or web page",
    "source_url": "Source code",
    "autotext_url": "README to sync from",
    "download_url": "Download",
    "contact_url": "Contact or issues",
    "image_url": "Cover image",
}

Op = Callable[[Site, datetime], Outcome]


def url(event: str, slug: str) -> str:
    return f"{PREFIX}/events/{event}/projects/{slug}"


def next_stage(site: Site, project: Project) -> int | None:
    """The stage a member may move the project to (one step up), if any."""
    current = site.stages.stage_for(project.stage).number
    later = [s.number for s in site.stages.ladder if s.number > current]
    return later[0] if later and project.stage >= 0 else None


def stage_choices(site: Site, editor: Editor, project: Project) -> list[tuple[int, str]]:
    """(number, label) of each stage `editor` may move the project to, by the ladder rule
    the stage service applies (organisers: any stage)."""
    choices = []
    for stage in site.stages.ladder:
        try:
            ops.check_ladder(site, editor, project, stage.number)
        except EditError:
            continue
        choices.append((stage.number, site.stages.label(stage.number, project.event)))
    return choices


def _stage_menu(
    site: Site, editor: Editor, project: Project, step: int | None
) -> list[tuple[int, str]]:
    """The stage menu of the page: only when there is more to choose than the current
    stage and the one-step button (organisers)."""
    if not editor.may_edit(project):
        return []
    choices = stage_choices(site, editor, project)
    more = any(number not in (project.progress, step) for number, _ in choices)
    return choices if more else []


def _project_page(
    ctx: Ctx, request: Req, event: str, slug: str, status: int = 200, **values: Any
) -> Response[str]:
    site = ctx.site()
    editor = current_editor(request)
    project = ops.find_project(site, event, slug)
    if project.is_hidden and not editor.may_edit(project):
        raise NotFound(f"project {slug!r} does not exist in event {event!r}")
    updates = sorted(
        (a for a in site.activities.values() if a.event == event and a.project == slug),
        key=lambda a: a.id,
        reverse=True,
    )
    step = next_stage(site, project)
    values.setdefault("form", {name: getattr(project, name) for name in EDITED})
    values.setdefault("errors", {})
    return page(
        request,
        "project.html",
        status,
        event=site.events[event],
        project=project,
        etag=project_etag(project),
        member=editor.on_team(project),
        may_edit=editor.may_edit(project),
        stage=site.stages.label(project.stage, event),
        next_stage=step,
        next_label=site.stages.label(step, event) if step is not None else "",
        stages=_stage_menu(site, editor, project, step),
        links=[(name, LABELS[name]) for name in LINKS],
        updates=updates[:20],
        **values,
    )


@get(
    f"{PREFIX}/events/{{event:str}}/projects/{{slug:str}}",
    sync_to_thread=False,
    include_in_schema=False,
)
def project_page(ctx: Ctx, request: Req, event: EventSlug, slug: EntrySlug) -> Response[str]:
    return _project_page(ctx, request, event, slug)


async def _act(
    ctx: Ctx,
    request: Req,
    event: str,
    slug: str,
    op: Op,
    kind: str,
    success: str,
    at: str = "",
    **values: Any,
) -> Response[str] | Redirect:
    """Run `op`; on success back to the project page with `success`, else the page again
    with the refusal and its status (4xx), shown next to the form field `at` when the
    refusal names no field itself."""
    try:
        await ctx.apply(op, kind)
    except EditError as exc:
        status, message, errors = failure(exc)
        if at and not errors:
            errors = {at: message}
        return _project_page(
            ctx, request, event, slug, status, message=message, errors=errors, **values
        )
    return done(request, url(event, slug), success)


def _project_fields(ctx: Ctx, event: str, slug: str) -> dict[str, str]:
    """What the edit form shows for the saved project."""
    project = ops.find_project(ctx.site(), event, slug)
    return {name: getattr(project, name) for name in EDITED}


@post(f"{PREFIX}/events/{{event:str}}/projects/{{slug:str}}/edit", include_in_schema=False)
async def edit(
    ctx: Ctx, request: Req, event: EventSlug, slug: EntrySlug
) -> Response[str] | Redirect:
    """Save the texts, links and image, or (the Preview button) show the pitch as the
    site will render it, keeping what was typed."""
    editor = current_editor(request)
    form = await request.form()
    values = {name: field(form, name) for name in EDITED if name in form}
    shown = {**_project_fields(ctx, event, slug), **values}
    if field(form, "action") == "preview":
        html = preview_pitch(ctx.site(), editor, shown["pitch"], event, slug)
        return _project_page(ctx, request, event, slug, form=shown, preview=html)
    pre = Precondition.parse(field(form, "etag"))
    try:
        check_form(values, ProjectPatch, schema.PROJECTS.path)
    except Invalid as exc:
        status, message, errors = failure(exc)
        return _project_page(
            ctx, request, event, slug, status, message=message, errors=errors, form=shown
        )
    return await _act(
        ctx,
        request,
        event,
        slug,
        lambda site, now: ops.update_project(site, editor, event, slug, pre, values, now),
        "update_project",
        "Saved the project.",
        form=shown,
    )


@post(f"{PREFIX}/events/{{event:str}}/projects/{{slug:str}}/stage", include_in_schema=False)
async def stage(
    ctx: Ctx, request: Req, event: EventSlug, slug: EntrySlug
) -> Response[str] | Redirect:
    """Move the project to the stage the form names, as the ladder allows (members one
    step up, organisers any stage)."""
    editor = current_editor(request)
    form = await request.form()
    pre = Precondition.parse(field(form, "etag"))
    text = field(form, "progress")
    try:
        progress = int(text)
    except ValueError:
        message = f"{text!r} is not a stage."
        return _project_page(
            ctx, request, event, slug, 400, message=message, errors={"progress": message}
        )
    return await _act(
        ctx,
        request,
        event,
        slug,
        lambda site, now: ops.change_stage(site, editor, event, slug, pre, progress, now),
        "change_stage",
        f"Moved the project to stage {progress}.",
        at="progress",
    )


@post(f"{PREFIX}/events/{{event:str}}/projects/{{slug:str}}/join", include_in_schema=False)
async def join(
    ctx: Ctx, request: Req, event: EventSlug, slug: EntrySlug
) -> Response[str] | Redirect:
    editor = current_editor(request)
    return await _act(
        ctx,
        request,
        event,
        slug,
        lambda site, now: teams.join_team(site, editor, event, slug, editor.user, now),
        "join_team",
        "You joined the team.",
    )


@post(f"{PREFIX}/events/{{event:str}}/projects/{{slug:str}}/leave", include_in_schema=False)
async def leave(
    ctx: Ctx, request: Req, event: EventSlug, slug: EntrySlug
) -> Response[str] | Redirect:
    editor = current_editor(request)
    return await _act(
        ctx,
        request,
        event,
        slug,
        lambda site, now: teams.leave_team(site, editor, event, slug, editor.user, now),
        "leave_team",
        "You left the team.",
    )


@post(f"{PREFIX}/events/{{event:str}}/projects/{{slug:str}}/post", include_in_schema=False)
async def post_update(
    ctx: Ctx, request: Req, event: EventSlug, slug: EntrySlug
) -> Response[str] | Redirect:
    """Post an update (Markdown) to the project's log, within the team's quota."""
    editor = current_editor(request)
    form = await request.form()
    content, ref_url = field(form, "content"), field(form, "ref_url")
    return await _act(
        ctx,
        request,
        event,
        slug,
        lambda site, now: ops.post_activity(
            site, editor, event, slug, content, ref_url, now, ctx.posts
        ),
        "post_activity",
        "Posted your update.",
        update={"content": content, "ref_url": ref_url},
    )
