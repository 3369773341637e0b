"""The participant's home (their projects, the events taking new projects), an event's
page (start a project, from scratch or from a challenge; join a team), sign-in and
sign-out."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect

from site_builder.model import Project, Site
from site_builder.services import teams
from site_builder.services.errors import EditError, NotFound

from ..auth import current_editor
from ..context import Ctx
from ..routes.common import EventSlug
from ..webpages import Req, failure, field, sign_out
from .pages import PREFIX, done, page


def _by_name(projects: list[Project]) -> list[Project]:
    return sorted(projects, key=lambda p: (p.name.casefold(), p.slug))


@get(f"{PREFIX}/", sync_to_thread=False, include_in_schema=False)
def home(ctx: Ctx, request: Req) -> Response[str]:
    """The signed-in participant's projects and the events that take new projects."""
    editor = current_editor(request)
    site = ctx.site()
    mine = [p for p in site.projects.values() if editor.on_team(p)]
    mine.sort(key=lambda p: (site.events[p.event].starts_at, p.name.casefold()), reverse=True)
    open_events = sorted(
        (e for e in site.events.values() if not e.lock_starting),
        key=lambda e: e.starts_at,
        reverse=True,
    )
    return page(request, "home.html", mine=mine, events=site.events, open_events=open_events)


def _event_page(
    request: Req, site: Site, event: str, status: int = 200, **values: Any
) -> Response[str]:
    found = site.events.get(event)
    if found is None:
        raise NotFound(f"event {event!r} does not exist")
    visible = [p for p in site.projects_of(event) if not p.is_hidden]
    return page(
        request,
        "event.html",
        status,
        event=found,
        challenges=_by_name([p for p in visible if p.is_challenge]),
        projects=_by_name([p for p in visible if not p.is_challenge]),
        label=lambda p: site.stages.label(p.stage, event),
        **values,
    )


@get(f"{PREFIX}/events/{{event:str}}", sync_to_thread=False, include_in_schema=False)
def event_page(ctx: Ctx, request: Req, event: EventSlug) -> Response[str]:
    """Start a project in the event, or join one of its teams."""
    return _event_page(request, ctx.site(), event, form={})


@post(f"{PREFIX}/events/{{event:str}}/start", include_in_schema=False)
async def start(ctx: Ctx, request: Req, event: EventSlug) -> Response[str] | Redirect:
    """Start a project (from a challenge when one is picked) with the caller on its team."""
    editor = current_editor(request)
    form = await request.form()
    values = {name: field(form, name) for name in ("name", "summary", "challenge")}
    try:
        outcome = await ctx.apply(
            lambda site, now: teams.start_project(
                site,
                editor,
                event,
                values["name"],
                now,
                summary=values["summary"],
                challenge=values["challenge"],
            ),
            "start_project",
        )
    except EditError as exc:
        status, message, errors = failure(exc)
        return _event_page(
            request, ctx.site(), event, status, message=message, errors=errors, form=values
        )
    project = outcome.record
    assert isinstance(project, Project)
    to = f"{PREFIX}/events/{event}/projects/{project.slug}"
    return done(request, to, f"Started {project.name}: you are on its team.")


@get(f"{PREFIX}/signin", sync_to_thread=False, include_in_schema=False)
def signin_page(request: Req) -> Response[str]:
    """How to sign in: an invite link (or OAuth, or a sign-in link)."""
    nxt = request.query_params.get("next", "")
    back = nxt == PREFIX or nxt.startswith(f"{PREFIX}/")
    return page(request, "signin.html", next=nxt if back else "")


@post(f"{PREFIX}/signout", include_in_schema=False)
async def signout(ctx: Ctx, request: Req) -> Redirect:
    """End this browser's session."""
    return sign_out(ctx, request, f"{PREFIX}/signin")
