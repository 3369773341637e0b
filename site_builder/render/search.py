"""The static search index: a compact JSON of every visible project, read by search.js."""

from __future__ import annotations

import json
from typing import Any

from ..model import Event, Site
from . import urls, views
from .index import SiteIndex
from .outputs import RenderContext, digest
from .urls import Urls

FIELDS = {
    "n": "name",
    "s": "summary",
    "e": "event",
    "u": "url",
    "g": "stage",
    "c": "challenge",
    "t": "team",
    "i": "image",
    "x": "text",
}
"""The index's short keys and what they hold."""


def entries(site: Site, index: SiteIndex, event: Event) -> list[dict[str, Any]]:
    """One small record per visible project of an event."""
    u = Urls.of(site.config)
    out: list[dict[str, Any]] = []
    for p in index.projects.get(event.slug, ()):
        category = views.category_of(site, u, p)
        out.append(
            {
                "n": p.name,
                "s": p.summary,
                "e": event.name,
                "u": u.link(urls.project_dir(p.event, p.slug)),
                "g": site.stages.label(p.stage, p.event),
                "c": category["name"] if category else "",
                "t": p.team,
                "i": u.media(p.image_url),
                "x": views.plain_words(p.pitch),
            }
        )
    return out


def _encode(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def search_index(ctx: RenderContext) -> str:
    """`{"fields": ..., "projects": [...]}`, events newest first. Each event's part is kept
    in `ctx.fragments`, so a session re-encodes only the events that changed."""
    site, index = ctx.site, ctx.index
    base = digest(site.config, site.stages)
    known = ctx.fragments.get("search", {})
    parts: list[str] = []
    used: dict[str, str] = {}
    for e in index.events:
        key = digest(
            base,
            index.record_digest(e),
            [index.record_digest(p) for p in index.projects.get(e.slug, ())],
            [index.record_digest(c) for c in index.categories.get(e.slug, ())],
        )
        part = known.get(key)
        if part is None:
            part = _encode(entries(site, index, e))[1:-1]
        used[key] = part
        if part:
            parts.append(part)
    ctx.fragments["search"] = used
    return f'{{"fields":{_encode(FIELDS)},"projects":[{",".join(parts)}]}}'
