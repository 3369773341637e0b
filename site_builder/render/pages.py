"""The HTML pages: archive index, event, filters, activity timeline, project, search, 404."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from ..model import Event, Project
from . import i18n, paging, placeholders, search, seo, urls, views
from .accessible import demote_headings
from .deps import Memo
from .i18n import _
from .outputs import RenderContext
from .sanitize import absolutize
from .urls import Urls

_HASHTAG_SPLIT = re.compile(r"[\s,]+")

DASH = "\u2013"
LATEST = 10
"""Announcements and updates an event page lists (its activity page has them all)."""


def render_page(
    ctx: RenderContext,
    template: str,
    path: str,
    *,
    title: str,
    description: str = "",
    image: str = "",
    ld: dict[str, Any] | None = None,
    **extra: Any,
) -> str:
    """Render a page template with what every page shows: header, meta tags, JSON-LD."""
    config = ctx.site.config
    u = Urls.of(config)
    page = {
        "path": path,
        "title": title,
        "description": description or config.description,
        "image": u.media_absolute(image),
        "url": u.absolute(path.removesuffix("index.html")),
        "jsonld": seo.json_ld(ld) if ld else None,
    }
    return ctx.env.get_template(template).render(config=config, u=u, page=page, **extra)


def _event_summary(ctx: RenderContext, e: Event) -> dict[str, Any]:
    u = Urls.of(ctx.site.config)
    return {
        "slug": e.slug,
        "name": e.name,
        "summary": e.summary,
        "url": u.link(urls.event_dir(e.slug)),
        "when": views.when(ctx.index, e),
        "location": e.location,
        "logo": u.media(e.logo_url),
        "initials": placeholders.initials(e.name),
        "color": placeholders.color(e.name),
        "projects": len(ctx.index.teams.get(e.slug, ())),
        "challenges": len(ctx.index.challenges.get(e.slug, ())),
    }


def archive(ctx: RenderContext) -> str:
    """The index of events, newest first. Which are upcoming, current or past depends on
    the day it is read, not built: `events.js` sorts them into those groups."""
    u = Urls.of(ctx.site.config)
    return render_page(
        ctx,
        "index.html",
        "index.html",
        title=ctx.site.config.title,
        ld=seo.website(ctx.site, u),
        events=[_event_summary(ctx, e) for e in ctx.index.events],
    )


def filters(ctx: RenderContext, e: Event) -> dict[str, Any]:
    """The challenge and stage filter links of an event, with counts."""
    u = Urls.of(ctx.site.config)
    index = ctx.index
    categories = [
        {
            "name": c.name,
            "url": u.link(urls.challenge_dir(e.slug, c.slug)),
            "count": len(index.by_category.get((e.slug, c.slug), ())),
            "key": c.slug,
        }
        for c in index.categories.get(e.slug, ())
    ]
    stages = []
    for s in ctx.site.stages.ladder:
        count = len(index.by_stage.get((e.slug, s.number), ()))
        if count:
            stages.append(
                {
                    "name": ctx.site.stages.label(s.number, e.slug),
                    "url": u.link(urls.stage_dir(e.slug, s.number)),
                    "count": count,
                    "key": str(s.number),
                }
            )
    numbers = {ctx.site.stages.stage_for(p.stage).number for p in index.projects.get(e.slug, ())}
    pending = sorted(n for n in numbers if n < 0)
    for n in pending:
        stages.append(
            {
                "name": ctx.site.stages.label(n, e.slug),
                "url": u.link(urls.stage_dir(e.slug, n)),
                "count": len(index.by_stage[(e.slug, n)]),
                "key": str(n),
            }
        )
    return {
        "all": u.link(urls.event_dir(e.slug)),
        "categories": [c for c in categories if c["count"]],
        "stages": stages,
    }


_CARDS: Memo[str] = Memo(limit=2048)
"""Each project's card as drawn in a language: an event page and its filter pages show
the same cards, and a session's next build redraws only the cards whose records changed.
The ~20 events' worth last used are kept (a card is ~2 kB with what it read)."""


def cards_html(ctx: RenderContext, items: list[Project]) -> list[str]:
    """The cards of `items`, drawn by the `card` macro of `_macros.html` (the site's own
    when it has one), in the language of the page."""
    u = Urls.of(ctx.site.config)
    code = i18n.current().code

    def draw(p: Project) -> str:
        # Read through the context, so the memo knows what the card depends on.
        record = ctx.site.projects[p.key]
        card = views.card(ctx.site, ctx.index, u, record)
        return str(ctx.env.get_template("_macros.html").module.card(card))  # type: ignore[attr-defined]

    return [_CARDS.get((p.event, p.slug, code), ctx.sources, partial(draw, p)) for p in items]


def gallery_pages(cards: int, size: int) -> int:
    """How many pages a gallery of `cards` fills at `size` cards a page (0: all on one)."""
    return max(1, -(-cards // size)) if size > 0 else 1


def _gallery(
    ctx: RenderContext, directory: str, items: list[Project], number: int
) -> tuple[list[str], dict[str, Any] | None]:
    """The cards of page `number` of the gallery first shown at `directory`, and, when
    there are more pages, where this one sits among them."""
    u = Urls.of(ctx.site.config)
    size = ctx.site.config.gallery_size
    count = gallery_pages(len(items), size)
    shown = items[(number - 1) * size : number * size] if count > 1 else items
    cards = cards_html(ctx, shown)
    if count == 1:
        return cards, None
    first = (number - 1) * size + 1
    return cards, {
        "number": number,
        "links": [u.link(urls.gallery_dir(directory, n)) for n in range(1, count + 1)],
        "first": first,
        "last": first + len(shown) - 1,
        "total": len(items),
    }


def _event_links(ctx: RenderContext, e: Event) -> dict[str, str]:
    u = Urls.of(ctx.site.config)
    return {
        "page": u.link(urls.event_dir(e.slug)),
        "activity": u.link(urls.activity_dir(e.slug)),
        "feed": u.link(f"{e.slug}/feed.xml"),
        "ics": u.link(f"{e.slug}/event.ics"),
        "hackathon": u.link(urls.hackathon_file(e.slug)),
        "package": u.link(f"{urls.api_dir(e.slug)}datapackage.json"),
        "csv": u.link(f"{urls.api_dir(e.slug)}projects.csv"),
    }


@i18n.in_event_language("slug")
def event_page(ctx: RenderContext, slug: str) -> str:
    site, index = ctx.site, ctx.index
    e = site.events[slug]
    u = Urls.of(site.config)
    path = urls.page_file(urls.event_dir(slug))
    teams = index.teams.get(slug, [])
    projects, pager = _gallery(ctx, urls.event_dir(slug), teams, 1)
    map_url = ""
    if coordinates := e.coordinates():
        lat, lon = coordinates
        map_url = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=15/{lat}/{lon}"
    return render_page(
        ctx,
        "event.html",
        path,
        title=e.name,
        description=e.summary,
        image=e.logo_url or e.gallery_url,
        ld=seo.event(site, index, u, e),
        event=e,
        event_color=placeholders.color(e.name),
        event_initials=placeholders.initials(e.name),
        when=views.when(index, e),
        description_html=absolutize(ctx.markdown(e.description), e.legacy_url, u),
        instruction_html=absolutize(ctx.markdown(e.instruction), e.legacy_url, u),
        hashtags=[t for t in _HASHTAG_SPLIT.split(e.hashtags) if t],
        map_url=map_url,
        links=_event_links(ctx, e),
        filters=filters(ctx, e),
        challenges=cards_html(ctx, index.challenges.get(slug, [])),
        project_count=len(teams),
        projects=projects,
        pager=pager,
        announcements=[
            views.activity(site, index, u, a, ctx.markdown)
            for a in index.announcements.get(slug, [])[:LATEST]
        ],
        latest=[
            views.activity(site, index, u, a, ctx.markdown)
            for a in _head(ctx, slug, "").entries[:LATEST]
        ],
        live={
            "api": site.config.api_url.rstrip("/"),
            "mirror": u.link(urls.api_dir(slug) + "activities.json"),
        },
    )


@i18n.in_event_language("slug")
def filter_page(ctx: RenderContext, slug: str, kind: str, key: str, number: int = 1) -> str:
    """A static filter: the event's projects in one category (`challenge`) or `stage`,
    or with `kind` "" all of them; page `number` of it when it has more pages."""
    site, index = ctx.site, ctx.index
    e = site.events[slug]
    if kind == "":
        items = index.teams.get(slug, [])
        heading, path = _("Projects"), urls.event_dir(slug)
        intro = ""
    elif kind == "challenge":
        category = site.categories[(slug, key)]
        items = index.by_category.get((slug, key), [])
        heading, path = category.name, urls.challenge_dir(slug, key)
        intro = category.description
    else:
        stage = int(key)
        items = index.by_stage.get((slug, stage), [])
        heading, path = site.stages.label(stage, slug), urls.stage_dir(slug, stage)
        intro = site.stages.stage_for(stage).description
    cards, pager = _gallery(ctx, path, items, number)
    title = f"{heading} {DASH} {e.name}"
    if number > 1:
        title = _(
            "%(heading)s (page %(number)s) \u2013 %(event)s",
            heading=heading,
            number=number,
            event=e.name,
        )
    return render_page(
        ctx,
        "filter.html",
        urls.page_file(urls.gallery_dir(path, number)),
        title=title,
        description=intro,
        event=e,
        kind=kind,
        key=key,
        heading=heading,
        intro=intro,
        links=_event_links(ctx, e),
        filters=filters(ctx, e),
        count=len(items),
        items=cards,
        pager=pager,
    )


def _head(ctx: RenderContext, event: str, project: str) -> paging.Head:
    return ctx.index.activity_heads.get((event, project)) or paging.Head(0, 0, [])


def _pager(ctx: RenderContext, event: str, project: str, number: int) -> dict[str, Any]:
    """Where a page of activity sits in its stream: the positions of its entries (1 = the
    oldest) and links to the next older and newer pages. `number` 0 is the stream's own
    page. A numbered page asks only whether the next page exists, so it is not rendered
    again for every new entry."""
    u = Urls.of(ctx.site.config)

    def part(n: int) -> str:
        return u.link(urls.activity_part_dir(event, project, n))

    if number == 0:
        head = _head(ctx, event, project)
        first, last = head.older * paging.PAGE + 1, head.total
        older, newer = (part(head.older) if head.older else ""), ""
    else:
        first = paging.first_number(number)
        last = first + paging.PAGE - 1
        older = part(number - 1) if number > 1 else ""
        if (event, project, number + 1) in ctx.index.activity_pages:
            newer = part(number + 1)
        else:
            newer = u.link(urls.stream_dir(event, project))
    return {"first": first, "last": last, "older": older, "newer": newer}


@i18n.in_event_language("slug")
def activity_page(ctx: RenderContext, slug: str, project: str = "", number: int = 0) -> str:
    """A page of an event's log (its newest entries, or numbered page `number` of the
    older ones), or a numbered page of one project's older activity."""
    site, index = ctx.site, ctx.index
    e = site.events[slug]
    u = Urls.of(site.config)
    if number:
        items = index.activity_pages[(slug, project, number)]
        path = urls.activity_part_dir(slug, project, number)
    else:
        items = _head(ctx, slug, project).entries
        path = urls.activity_dir(slug)
    # The project's name only: the page need not change when its other fields do.
    name = index.project_refs[(slug, project)][0] if project else ""
    of = f"{name} {DASH} {e.name}" if project else e.name
    if number:
        title = _("Activity (page %(number)s) \u2013 %(of)s", number=number, of=of)
    else:
        title = _("Activity \u2013 %(of)s", of=of)
    return render_page(
        ctx,
        "activity.html",
        urls.page_file(path),
        title=title,
        description=_("What happened at %(of)s, newest first.", of=of),
        event=e,
        project=name,
        project_url=u.link(urls.project_dir(slug, project)) if project else "",
        links=_event_links(ctx, e),
        days=views.activity_days(site, index, u, items, ctx.markdown),
        pager=_pager(ctx, slug, project, number),
        zone=str(index.zone(slug)),
    )


@i18n.in_event_language("event")
def project_page(ctx: RenderContext, event: str, slug: str) -> str:
    site, index = ctx.site, ctx.index
    p: Project = site.projects[(event, slug)]
    e = site.events[event]
    u = Urls.of(site.config)
    api = site.config.api_url.rstrip("/")
    links = views.project_links(p)
    return render_page(
        ctx,
        "project.html",
        urls.page_file(urls.project_dir(event, slug)),
        title=f"{p.name} {DASH} {e.name}",
        description=p.summary or views.plain_words(p.pitch, 30),
        image=p.image_url,
        ld=seo.project(site, index, u, p),
        project=p,
        card=views.card(site, index, u, p),
        event=e,
        event_url=u.link(urls.event_dir(event)),
        when=views.when(index, e),
        pitch_html=views.pitch_html(ctx.markdown, p.pitch, views.pitch_base(p, e), u),
        # Under the page's "README" h2: the README's outline starts at h3.
        readme_html=demote_headings(
            absolutize(ctx.markdown(p.readme), p.autotext_url or p.source_url, u), 1
        ),
        links=links,
        team=[views.person(index, m, u) for m in p.team_members],
        days=views.activity_days(site, index, u, _head(ctx, event, slug).entries, ctx.markdown),
        pager=_pager(ctx, event, slug, 0),
        edit_url=f"{api}/edit/{event}/{slug}" if api else "",
    )


def search_page(ctx: RenderContext) -> str:
    return render_page(
        ctx,
        "search.html",
        "search/index.html",
        title=_("Search \u2013 %(title)s", title=ctx.site.config.title),
        description=_("Search the projects of %(title)s.", title=ctx.site.config.title),
        events=ctx.index.events,
        stages=search.stage_options(ctx.site),
    )


def not_found(ctx: RenderContext) -> str:
    return render_page(ctx, "404.html", "404.html", title=_("Page not found"))
