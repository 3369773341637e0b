"""The static search index: a compact JSON of every visible project, read by search.js."""

from __future__ import annotations

import json
from typing import Any

from ..model import Site
from . import urls, views
from .index import SiteIndex
from .outputs import RenderContext
from .urls import Urls


def entries(site: Site, index: SiteIndex) -> list[dict[str, Any]]:
    """One small record per visible project, events newest first."""
    u = Urls.of(site.config)
    out: list[dict[str, Any]] = []
    for e in index.events:
        for p in index.projects.get(e.slug, ()):
            category = views.category_of(site, u, p)
            out.append(
                {
                    "n": p.name,
                    "s": p.summary,
                    "e": e.name,
                    "u": u.link(urls.project_dir(p.event, p.slug)),
                    "g": site.stages.label(p.stage, p.event),
                    "c": category["name"] if category else "",
                    "t": p.team,
                    "i": u.media(p.image_url),
                    "x": views.plain_words(p.pitch),
                }
            )
    return out


def search_index(ctx: RenderContext) -> str:
    data = {
        "fields": {
            "n": "name",
            "s": "summary",
            "e": "event",
            "u": "url",
            "g": "stage",
            "c": "challenge",
            "t": "team",
            "i": "image",
            "x": "text",
        },
        "projects": entries(ctx.site, ctx.index),
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
