"""The edit API's ASGI app factory, e.g. `uvicorn --factory api.app:create_app`.

Thin by design: DTOs check what comes in (`schemas.py`, `body.py`), guards check who
asks (`auth.py`), and the edit services of `site_builder` do the rest, through the same
store the CLI uses; saved edits queue a rebuild (`rebuild.py`).
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, Router
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from site_builder import __version__

from .allow import true_allow
from .body import check_body
from .console import console_handlers
from .context import STATE_KEY, ApiContext, context_of
from .errors import HANDLERS
from .headers import security_headers
from .limits import RateLimits
from .metrics import metrics, request_metrics
from .participate import participate_handlers
from .reqlog import request_log
from .routes.builds import BuildController
from .routes.categories import CategoryController
from .routes.events import EventController
from .routes.invites import InviteController
from .routes.jobs import HistoryController, JobController, SyncController
from .routes.join import join_form, join_submit
from .routes.live import LiveController
from .routes.me import MeController, SessionController
from .routes.meta import edit_asset, edit_page, health, stages
from .routes.pitches import PitchOrderController
from .routes.projects import ProjectController
from .routes.signin import SigninController, SigninLinkController
from .routes.teams import PreviewController, TeamController
from .settings import ApiSettings
from .signin import check_csrf
from .strict import EventSchema, StrictBodySchemas
from .viewer import VIEWER_HEADERS, SwaggerViewer


async def _before(request: Request[Any, Any, Any]) -> None:
    """Who may send this (CSRF of cookie requests), then what it sends (the body)."""
    await check_csrf(request)
    await check_body(request)


def create_app(settings: ApiSettings | None = None) -> Litestar:
    """A fresh application instance (one per process or test); settings default to the
    environment (see `ApiSettings.from_env`)."""
    settings = settings or ApiSettings.from_env()
    ctx = ApiContext.create(settings)
    cors = None
    if settings.cors_origins:
        cors = CORSConfig(
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "If-None-Match",
                "Last-Event-ID",
                "X-CSRF-Token",
            ],
            expose_headers=["ETag", "Retry-After"],
            # The configured origins (the static site) may act with a visitor's session
            # cookie; CSRF tokens still guard every change made with it.
            allow_credentials=True,
            max_age=600,
        )
    openapi = OpenAPIConfig(
        title="Jamdat edit API",
        version=__version__,
        description=(
            "Edit a Jamdat archive: events, categories, projects, their stage and activity "
            "log. Reads are anonymous; edits need `Authorization: Bearer <token>`, and "
            "updates and deletes `If-Match` with the entry's ETag."
        ),
        components=Components(
            security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}
        ),
        render_plugins=[SwaggerViewer(), JsonRenderPlugin()],
        openapi_router=Router(
            "/api/v1/schema",
            route_handlers=[],
            response_headers=VIEWER_HEADERS,
            include_in_schema=False,
        ),
    )
    app = Litestar(
        route_handlers=[
            health,
            stages,
            edit_page,
            edit_asset,
            EventController,
            CategoryController,
            ProjectController,
            TeamController,
            PreviewController,
            BuildController,
            metrics,
            LiveController,
            InviteController,
            MeController,
            SessionController,
            join_form,
            join_submit,
            SigninController,
            SigninLinkController,
            SyncController,
            JobController,
            HistoryController,
            PitchOrderController,
            *console_handlers(),
            *participate_handlers(),
        ],
        dependencies={"ctx": Provide(context_of, sync_to_thread=False)},
        before_request=_before,
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        middleware=[RateLimits(settings.rate_per_address, settings.rate_per_token)],
        cors_config=cors,
        openapi_config=openapi,
        request_max_body_size=settings.max_body,
        on_startup=[ctx.startup],
        on_shutdown=[ctx.shutdown],
        logging_config=None,
        plugins=[StrictBodySchemas(), EventSchema()],
    )
    app.state[STATE_KEY] = ctx
    # Outside the router, so that requests no route matches (404, 405) and CORS
    # preflights are logged too; route middleware only sees matched requests.
    app.asgi_handler = request_log(
        request_metrics(security_headers(true_allow(app, app.asgi_handler)), ctx.metrics)
    )
    return app
