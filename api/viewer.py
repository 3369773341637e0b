"""The OpenAPI viewer: Swagger UI from the `openapi-ui-bundles` package, served by the API.

Litestar's own viewers load their scripts from CDNs and start them with inline scripts;
this one loads only files of this server, so it works offline and under `PAGE_CSP`.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import openapi_ui_bundles
from litestar import Request, Router, get
from litestar.datastructures import ResponseHeader
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.params import FromPath
from litestar.response import File

from .headers import PAGE_CSP

SWAGGER = Path(openapi_ui_bundles.swagger_ui.static_path)
STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {
    "swagger-ui-bundle.js": (SWAGGER, "text/javascript"),
    "swagger-ui.css": (SWAGGER, "text/css"),
    "favicon-32x32.png": (SWAGGER, "image/png"),
    "viewer.js": (STATIC, "text/javascript"),
}
ASSET_ROUTE = "openapi-viewer-asset"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<script src="{assets}/swagger-ui-bundle.js" defer></script>
<script src="{assets}/viewer.js" defer></script>
</head>
<body>
<div id="swagger-ui" data-spec="{spec}"></div>
</body>
</html>
"""


@get(
    "/assets/{asset:str}",
    name=ASSET_ROUTE,
    include_in_schema=False,
    sync_to_thread=False,
    cache=False,
    response_headers=[ResponseHeader(name="Cache-Control", value="public, max-age=3600")],
)
def viewer_asset(asset: FromPath[str]) -> File:
    """A file of the viewer, from a fixed list (never a path from the request)."""
    if asset not in ASSETS:
        raise NotFoundException(f"no asset {asset!r}")
    folder, media_type = ASSETS[asset]
    return File(folder / asset, media_type=media_type, content_disposition_type="inline")


class SwaggerViewer(OpenAPIRenderPlugin):
    """Swagger UI at the schema path, with its files under `<schema path>/assets/`."""

    def __init__(self) -> None:
        super().__init__(path="/", favicon="", style="")

    def receive_router(self, router: Router) -> None:
        router.register(viewer_asset)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        spec = self.get_openapi_json_route(request)
        assets = request.app.route_reverse(ASSET_ROUTE, asset="viewer.js").rsplit("/", 1)[0]
        title = str(openapi_schema.get("info", {}).get("title", "API"))
        page = PAGE.format(title=escape(title), assets=escape(assets), spec=escape(spec))
        return page.encode("utf-8")


VIEWER_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=PAGE_CSP),
]
