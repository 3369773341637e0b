"""The static search index: a compact JSON of every visible project, read by search.js."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from ..model import Event, Site
from . import urls, views
from .deps import Memo
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


_PARTS: Memo[bytes] = Memo()
"""Each event's part of the index, encoded, kept while what it shows is unchanged."""


def search_index(ctx: RenderContext) -> bytes:
    """`{"fields": ..., "projects": [...]}` of every event, newest first. A session keeps
    each event's part encoded and re-encodes only the events that changed: joining
    megabytes of text with non-ASCII characters costs ten times more than bytes."""
    site, index = ctx.site, ctx.index

    def part(slug: str) -> bytes:
        return _encode(entries(site, index, site.events[slug]))[1:-1]

    parts = [_PARTS.get(e.slug, ctx.sources, partial(part, e.slug)) for e in index.events]
    encoded = b",".join(p for p in parts if p)
    return b'{"fields":%s,"projects":[%s]}' % (_encode(FIELDS), encoded)
