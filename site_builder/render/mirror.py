"""JSON and CSV mirrors of Dribdat's `/api/...` endpoints, so existing clients keep working."""

from __future__ import annotations

import json
from typing import Any

from .. import dribdat
from ..model import Activity
from .index import as_utc
from .outputs import RenderContext

LIVE_SIZE = 50
"""Newest activities in an event's `activities.json`, which event pages poll."""


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


def activity_record(a: Activity) -> dict[str, Any]:
    """An activity as the edit API's activity resource and live stream give it."""
    return {
        "id": a.id,
        "event": a.event,
        "project": a.project,
        "date": as_utc(a.date).isoformat().replace("+00:00", "Z"),
        "name": a.name,
        "action": a.action,
        "content": a.content,
        "ref_url": a.ref_url,
        "user": a.user,
        "legacy_id": a.legacy_id,
    }


def activities_json(ctx: RenderContext, slug: str) -> str:
    """The event's newest activities (visible projects' and announcements), newest first:
    what an event page polls for new updates when the edit API is not reachable."""
    items = ctx.index.event_activities.get(slug, [])[:LIVE_SIZE]
    return _json({"activities": [activity_record(a) for a in items]})
