"""JSON and CSV mirrors of Dribdat's `/api/...` endpoints, so existing clients keep working."""

from __future__ import annotations

import json
from typing import Any

from .outputs import RenderContext


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def events_json(ctx: RenderContext) -> str:
    from ..dribdat import events_payload

    return _json({"events": events_payload(ctx.site, ctx.site.config.site_url)})


def projects_json(ctx: RenderContext, slug: str) -> str:
    from ..dribdat import projects_payload

    return _json({"projects": projects_payload(ctx.site, slug, ctx.site.config.site_url)})


def projects_csv(ctx: RenderContext, slug: str) -> str:
    from ..dribdat import projects_csv as to_csv
    from ..dribdat import projects_payload

    return to_csv(projects_payload(ctx.site, slug, ctx.site.config.site_url))


def datapackage(ctx: RenderContext, slug: str) -> str:
    from ..dribdat import event_package

    return _json(event_package(ctx.site, slug, ctx.site.config.site_url))
