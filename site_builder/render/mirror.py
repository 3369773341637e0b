"""JSON and CSV mirrors of Dribdat's `/api/...` endpoints, so existing clients keep working."""

from __future__ import annotations

import json
from typing import Any

from .. import dribdat
from .outputs import RenderContext


def _json(data: Any) -> str:
    """Compact JSON, as Dribdat serves it (and several times faster to encode than indented)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def events_json(ctx: RenderContext) -> str:
    return _json({"events": dribdat.events_payload(ctx.site, ctx.site.config.site_url)})


def _projects(ctx: RenderContext, slug: str) -> list[dict[str, Any]]:
    return dribdat.projects_payload(ctx.site, ctx.index.records[slug], ctx.site.config.site_url)


def projects_json(ctx: RenderContext, slug: str) -> str:
    return _json({"projects": _projects(ctx, slug)})


def projects_csv(ctx: RenderContext, slug: str) -> str:
    return dribdat.projects_csv(_projects(ctx, slug))


def datapackage(ctx: RenderContext, slug: str) -> str:
    package = dribdat.event_package(ctx.site, ctx.index.records[slug], ctx.site.config.site_url)
    return _json(package)
