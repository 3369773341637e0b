"""Participants' pages, served by the API at /me/: start a project or join a team, edit
one's project, move its stage and post updates, with forms that work without JavaScript.

Any signed-in person (member or organiser) gets in; anonymous visitors are sent to the
sign-in page. The rules (locks, ladder, last member, quotas) are the services' own.
"""

from __future__ import annotations

from litestar import Router
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler
from litestar.types import ControllerRouterHandler

from site_builder.services.editor import Editor
from site_builder.services.errors import EditError

from . import home, project
from .pages import PARTICIPATE, error_page

GUARDED: list[HTTPRouteHandler] = [
    home.home,
    home.event_page,
    home.start,
    project.project_page,
    project.edit,
    project.stage,
    project.join,
    project.leave,
    project.post_update,
]


def _anyone(editor: Editor) -> str | None:
    return None


def participate_handlers() -> list[ControllerRouterHandler]:
    """The pages for signed-in participants, and the open sign-in page and sign-out."""
    guarded = Router(
        "/",
        route_handlers=GUARDED,
        before_request=PARTICIPATE.gate(_anyone),
        exception_handlers={EditError: error_page, HTTPException: error_page},
    )
    return [guarded, home.signin_page, home.signout]
