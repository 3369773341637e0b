"""Atom feeds of the archive and of each event, and an iCalendar file per event."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from ..model import Activity, Event, Project, Site
from . import paging, urls
from .index import SiteIndex, as_utc
from .outputs import RenderContext
from .urls import Urls

DASH = "\u2013"


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed entry; entries are computed in the plan, so they are also the fingerprint."""

    id: str
    title: str
    url: str
    updated: datetime
    summary: str
    author: str = ""


def project_date(index: SiteIndex, p: Project, e: Event) -> datetime:
    """When a project last changed, or when its event started."""
    when = p.updated_at or p.created_at
    return as_utc(when) if when is not None else as_utc(index.start(e))


def _project_entry(site: Site, index: SiteIndex, u: Urls, p: Project) -> Entry:
    e = site.events[p.event]
    url = u.absolute(urls.project_dir(p.event, p.slug))
    label = site.stages.label(p.stage, p.event)
    summary = f"{p.summary} ({label}, {e.name})" if p.summary else f"{label}, {e.name}"
    return Entry(url, p.name, url, project_date(index, p, e), summary, p.team)


def _event_entry(index: SiteIndex, u: Urls, e: Event) -> Entry:
    url = u.absolute(urls.event_dir(e.slug))
    text = f"{e.summary} {DASH} {e.location}" if e.location else e.summary
    return Entry(url, e.name, url, as_utc(index.start(e)), text, e.hostname)


def _newest(entries: list[Entry], size: int) -> list[Entry]:
    return sorted(entries, key=lambda x: (x.updated, x.id), reverse=True)[: max(size, 1)]


Dated = tuple[datetime, str, str, Project]
"""A project with when it last changed (`project_date`), its event and slug: how feeds
order projects, newest first."""


def newest_projects(
    site: Site, index: SiteIndex, projects: Iterable[Project], size: int
) -> list[Dated]:
    """The `size` most recently changed of `projects`, newest first, with their dates."""
    dated = [(project_date(index, p, site.events[p.event]), p.event, p.slug, p) for p in projects]
    return _newest_dated(dated, size)


def _newest_dated(dated: Iterable[Dated], size: int) -> list[Dated]:
    return sorted(dated, key=lambda x: x[:3], reverse=True)[: max(size, 1)]


def _entries_of(site: Site, index: SiteIndex, dated: list[Dated]) -> list[Entry]:
    u = Urls.of(site.config)
    return [_project_entry(site, index, u, p) for *_, p in dated]


def site_entries(site: Site, index: SiteIndex, candidates: Iterable[Dated]) -> list[Entry]:
    """The newest events and projects across the archive. `candidates` must hold each
    event's `newest_projects` of its teams, dated (the plan keeps those per event, so a
    rebuild dates only the projects of events that changed)."""
    u = Urls.of(site.config)
    size = site.config.feed_size
    events = [_event_entry(index, u, e) for e in index.events[:size]]
    projects = _entries_of(site, index, _newest_dated(candidates, size))
    return _newest(events + projects, size)


def _page_showing(index: SiteIndex, a: Activity) -> str:
    """The page that lists activity `a`: its project's page (the event's activity page for
    an announcement), or the numbered page of older entries that holds it."""
    stream = (a.event, a.project)
    items = index.activities.get(stream, []) if a.project else index.event_activities[a.event]
    position = next(i for i, item in enumerate(items) if item.id == a.id)
    number = paging.number_of(index.activity_heads[stream], position)
    if number:
        return urls.activity_part_dir(a.event, a.project, number)
    return urls.stream_dir(a.event, a.project)


def event_entries(site: Site, index: SiteIndex, slug: str) -> list[Entry]:
    """An event's projects and its activity, newest first."""
    u = Urls.of(site.config)
    size = site.config.feed_size
    entries = _entries_of(
        site, index, newest_projects(site, index, index.projects.get(slug, ()), size)
    )
    for a in index.event_activities.get(slug, [])[:size]:
        if a.project:
            url = u.absolute(urls.project_dir(a.event, a.project))
            title = f"{site.projects[(a.event, a.project)].name}: {a.action or a.name or 'update'}"
        else:  # an organisers' announcement
            url = u.absolute(urls.event_dir(a.event))
            title = f"{site.events[a.event].name}: announcement"
        text = a.content.strip()
        entries.append(
            Entry(
                f"{url}#activity-{a.id}",  # its id since before activity was paged: kept
                title,
                f"{u.absolute(_page_showing(index, a))}#activity-{a.id}",
                as_utc(a.date),
                text if len(text) <= 600 else text[:600] + " …",
                a.user,
            )
        )
    return _newest(entries, size)


def atom(ctx: RenderContext, path: str, title: str, page: str, entries: list[Entry]) -> str:
    """An Atom document; `page` is the site path of the HTML page the feed belongs to."""
    u = Urls.of(ctx.site.config)
    updated = entries[0].updated if entries else datetime(2000, 1, 1, tzinfo=UTC)
    return ctx.env.get_template("feed.xml").render(
        config=ctx.site.config,
        title=title,
        feed_url=u.absolute(path),
        page_url=u.absolute(page),
        updated=updated,
        entries=entries,
    )


def ical(ctx: RenderContext, slug: str) -> bytes:
    """An iCalendar file with the event in its own time zone (VTIMEZONE included)."""
    import icalendar  # 40 ms to import; only builds that change a calendar need it

    site, index = ctx.site, ctx.index
    e = site.events[slug]
    u = Urls.of(site.config)
    host = urlsplit(u.site_url).hostname or "jamdat"
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Jamdat//Hackathon archive//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    item = icalendar.Event()
    item.add("uid", f"{slug}@{host}")
    item.add("dtstamp", as_utc(index.start(e)))
    item.add("dtstart", index.start(e))
    item.add("dtend", index.end(e))
    item.add("summary", e.name)
    if e.summary:
        item.add("description", e.summary)
    if e.location:
        item.add("location", e.location)
    if coordinates := e.coordinates():
        item.add("geo", coordinates)
    item.add("url", u.absolute(urls.event_dir(slug)))
    cal.add_component(item)
    start = index.start(e).date()
    cal.add_missing_timezones(first_date=start, last_date=index.end(e).date() + timedelta(days=1))
    data: bytes = cal.to_ical()
    return data
