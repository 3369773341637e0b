"""Machine-readable descriptions: schema.org JSON-LD, sitemap and robots.txt."""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from ..model import Event, Project, Site
from . import urls
from .index import SiteIndex, as_utc
from .outputs import RenderContext
from .urls import Urls

CONTEXT = "https://schema.org"


def json_ld(data: dict[str, Any]) -> Markup:
    """JSON safe to embed in a `<script type="application/ld+json">` element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in ("", None, [], {})}


def website(site: Site, u: Urls) -> dict[str, Any]:
    return _drop_empty(
        {
            "@context": CONTEXT,
            "@type": "WebSite",
            "name": site.config.title,
            "description": site.config.description,
            "url": u.absolute(),
            "inLanguage": site.config.language,
            "potentialAction": {
                "@type": "SearchAction",
                "target": u.absolute("search/") + "?q={search_term_string}",
                "query-input": "required name=search_term_string",
            },
        }
    )


def event(site: Site, index: SiteIndex, u: Urls, e: Event) -> dict[str, Any]:
    place: dict[str, Any] = {}
    coordinates = e.coordinates()
    if e.location or coordinates:
        place = _drop_empty({"@type": "Place", "name": e.location, "address": e.location})
        if coordinates:
            place["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": coordinates[0],
                "longitude": coordinates[1],
            }
    organizer = _drop_empty(
        {"@type": "Organization", "name": e.hostname or site.config.title, "url": e.webpage_url}
    )
    return _drop_empty(
        {
            "@context": CONTEXT,
            "@type": "Event",
            "name": e.name,
            "description": e.summary,
            "startDate": index.start(e).isoformat(timespec="seconds"),
            "endDate": index.end(e).isoformat(timespec="seconds"),
            "url": u.absolute(urls.event_dir(e.slug)),
            "image": u.media_absolute(e.logo_url or e.gallery_url),
            "location": place,
            "organizer": organizer,
            "eventStatus": "https://schema.org/EventScheduled",
        }
    )


def _work(site: Site, u: Urls, p: Project) -> dict[str, Any]:
    """A project as an event's `workPerformed` (Dribdat's fields, our stage label)."""
    source = urls.outbound(p.source_url)
    return _drop_empty(
        {
            "@type": "SoftwareSourceCode" if source else "CreativeWork",
            "name": p.name,
            "description": p.summary,
            "url": u.absolute(urls.project_dir(p.event, p.slug)),
            "image": u.media_absolute(p.image_url),
            "codeRepository": source,
            "creativeWorkStatus": site.stages.label(p.stage, p.event),
            "discussionUrl": urls.outbound(p.contact_url),
            "dateCreated": as_utc(p.created_at).isoformat() if p.created_at else "",
            "dateModified": as_utc(p.updated_at).isoformat() if p.updated_at else "",
        }
    )


def hackathon(site: Site, index: SiteIndex, u: Urls, e: Event) -> dict[str, Any]:
    """An event as Dribdat publishes it at `/hackathon.json` (its issue #437): a schema.org
    `Hackathon` with its visible projects, challenges included, as `workPerformed`."""
    works = [_work(site, u, p) for p in index.projects.get(e.slug, ())]
    extra = {"mainEntityOfPage": e.webpage_url, "workPerformed": works}
    return event(site, index, u, e) | {"@type": "Hackathon"} | _drop_empty(extra)


def project(site: Site, index: SiteIndex, u: Urls, p: Project) -> dict[str, Any]:
    e = site.events[p.event]
    authors = [
        _drop_empty(
            {
                "@type": "Person",
                "name": (index.people[m].fullname if m in index.people else "") or m,
                "url": index.people[m].webpage_url if m in index.people else "",
            }
        )
        for m in p.team_members
    ]
    return _drop_empty(
        {
            "@context": CONTEXT,
            "@type": "SoftwareSourceCode" if p.source_url else "CreativeWork",
            "name": p.name,
            "description": p.summary,
            "url": u.absolute(urls.project_dir(p.event, p.slug)),
            "codeRepository": p.source_url,
            "image": u.media_absolute(p.image_url),
            "author": authors,
            "creativeWorkStatus": site.stages.label(p.stage, p.event),
            "dateCreated": as_utc(p.created_at).isoformat() if p.created_at else "",
            "dateModified": as_utc(p.updated_at).isoformat() if p.updated_at else "",
            "isPartOf": {
                "@type": "Event",
                "name": e.name,
                "url": u.absolute(urls.event_dir(e.slug)),
            },
        }
    )


def hackathon_json(ctx: RenderContext, slug: str) -> str:
    """`<event>/hackathon.json`: the event's `Hackathon` description as a document."""
    u = Urls.of(ctx.site.config)
    data = hackathon(ctx.site, ctx.index, u, ctx.site.events[slug])
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def sitemap(u: Urls, pages: list[str]) -> str:
    """A sitemap of the given HTML page paths (`a/index.html` is listed as `a/`)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for path in pages:
        loc = u.absolute(path.removesuffix("index.html"))
        loc = loc.replace("&", "&amp;").replace("<", "&lt;")
        lines.append(f"  <url><loc>{loc}</loc></url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def robots(u: Urls) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {u.absolute('sitemap.xml')}\n"
