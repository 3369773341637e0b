"""The organiser console: server-rendered pages served by the API at /console/.

Organisers only (`gate.console_gate`); every form works without JavaScript and calls
the same services as the JSON API. The sign-in page and the assets are open.
"""

from __future__ import annotations

from litestar import Router
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler
from litestar.types import ControllerRouterHandler

from site_builder.services.errors import EditError

from . import announcements, detail, events, people, site, sync
from .gate import console_gate
from .pages import error_page

GUARDED: list[HTTPRouteHandler] = [
    events.events_page,
    events.new_event_page,
    events.create_event,
    events.edit_event_page,
    events.update_event,
    events.open_close,
    detail.event_page,
    detail.approve,
    detail.visibility,
    detail.stage,
    detail.pitch_order,
    announcements.announce,
    announcements.edit,
    announcements.delete,
    people.people_page,
    people.create_invite,
    people.revoke_invite,
    people.revoke_session,
    sync.sync_event,
    sync.sync_project,
    sync.job_page,
    sync.history_page,
]


def console_handlers() -> list[ControllerRouterHandler]:
    """The console's routes: the guarded pages, and the open sign-in page and assets."""
    guarded = Router(
        "/",
        route_handlers=GUARDED,
        before_request=console_gate,
        exception_handlers={EditError: error_page, HTTPException: error_page},
    )
    return [guarded, site.signin_page, site.signout, site.console_asset]
