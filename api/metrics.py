"""`GET /metrics` in the Prometheus text format, and the middleware that counts requests.

Access: a scraper sends `Authorization: Bearer $JAMDAT_METRICS_TOKEN` (the server's
setting), or an organiser sends an API token. Never anonymous: route names and counts
tell who is active when.
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.types import ASGIApp, Scope

from site_builder.metrics import CONTENT_TYPE, Metrics

from .auth import CHALLENGE, editor_of
from .bearer import bearer_token
from .context import Ctx
from .observe import observed

UNMATCHED = "unmatched"
"""The route label of requests no route matched (so raw paths never become labels)."""


@get("/metrics", sync_to_thread=False, include_in_schema=False)
def metrics(ctx: Ctx, request: Request[Any, Any, Any]) -> Response[bytes]:
    """Requests, edits, builds and syncs, for Prometheus."""
    header = request.headers.get("authorization")
    token = bearer_token(header) if header else None
    wanted = ctx.settings.metrics_token
    if not (wanted and token and hmac.compare_digest(token.encode(), wanted.encode())):
        editor = editor_of(request)
        if editor is None:
            raise NotAuthorizedException(
                "metrics need `Authorization: Bearer <token>`: the server's "
                "JAMDAT_METRICS_TOKEN or an organiser's token",
                headers=CHALLENGE,
            )
        if not editor.is_organiser:
            raise PermissionDeniedException(
                "only organisers (or the metrics token) may read metrics"
            )
    return Response(
        ctx.metrics.text(), media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"}
    )


def request_metrics(app: ASGIApp, metrics: Metrics) -> ASGIApp:
    """ASGI middleware: count each HTTP request by method, route template and status
    class, and time it."""

    def count(scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("path_template") if scope.get("route_handler") else None
        metrics.request(str(scope.get("method", "-")), str(route or UNMATCHED), status, seconds)

    return observed(app, count)
