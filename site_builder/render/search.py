"""The static search index: a compact JSON of every visible project, read by search.js."""

from __future__ import annotations

import json
from typing import Any

from ..model import Event, Site
from . import urls, views
from .index import SiteIndex
from .outputs import RenderContext
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


def _encode(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def search_index(ctx: RenderContext, parts: list[tuple[str, str]]) -> bytes:
    """`{"fields": ..., "projects": [...]}`. `parts` lists the events, newest first, each
    with a digest of what it shows; an event's part is kept in `ctx.fragments` under that
    digest, so a session re-encodes only the events that changed. Parts are kept encoded:
    joining megabytes of text with non-ASCII characters costs ten times more than bytes."""
    site, index = ctx.site, ctx.index
    known = ctx.fragments.get("search", {})
    used: dict[str, bytes] = {}
    for slug, key in parts:
        part = known.get(key)
        if part is None:
            part = _encode(entries(site, index, site.events[slug]))[1:-1]
        used[key] = part
    ctx.fragments["search"] = used
    encoded = b",".join(used[key] for _, key in parts if used[key])
    return b'{"fields":%s,"projects":[%s]}' % (_encode(FIELDS), encoded)
