"""Health, the stage ladder, and the edit page for team members."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from litestar import MediaType, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from msgspec import Struct

from site_builder.config import Stage

from ..auth import editor_of, session_of
from ..context import Ctx
from ..docs import ANYONE, READ
from ..headers import PAGE_CSP
from ..participate.project import url as project_page_url
from .common import EntrySlug, EventSlug

ASSETS = {"edit.js": "text/javascript", "edit.css": "text/css"}
PAGE_HEADERS = {"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"}


class Health(Struct):
    status: Literal["ok"] = "ok"


@get("/health", sync_to_thread=False, tags=["operations"], security=[{}])
def health() -> Health:
    """Liveness probe for load balancers and uptime checks."""
    return Health()


@get("/api/v1/stages", sync_to_thread=False, tags=["projects"], security=ANYONE, responses=READ)
def stages(ctx: Ctx) -> list[Stage]:
    """The stage ladder: the numbers `PUT .../stage` accepts, with their labels."""
    return list(ctx.site().stages.ladder)


STATIC = Path(__file__).resolve().parents[1] / "static"


def _asset(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


@get("/edit/{event:str}/{slug:str}", sync_to_thread=False, include_in_schema=False)
def edit_page(
    ctx: Ctx, request: Request[Any, Any, Any], event: EventSlug, slug: EntrySlug
) -> Response[str] | Redirect:
    """The site's "edit" link. A browser signed in with a session goes to the project's
    participant page (edit, join, post there); anyone else gets a plain HTML form that
    edits with a pasted token."""
    project = ctx.site().projects.get((event, slug))
    editor = editor_of(request) if session_of(request) is not None else None
    if project is None or (project.is_hidden and not (editor and editor.may_edit(project))):
        raise NotFoundException(f"project {slug!r} does not exist in event {event!r}")
    if editor is not None:
        return Redirect(path=project_page_url(event, slug), status_code=303, headers=PAGE_HEADERS)
    return Response(_asset("edit.html"), media_type=MediaType.HTML, headers=PAGE_HEADERS)


@get("/edit/assets/{name:str}", sync_to_thread=False, include_in_schema=False)
def edit_asset(name: FromPath[str]) -> Response[Any]:
    if name not in ASSETS:
        raise NotFoundException(f"no asset {name!r}")
    headers = {**PAGE_HEADERS, "Cache-Control": "public, max-age=300"}
    return Response(_asset(name), media_type=ASSETS[name], headers=headers)
