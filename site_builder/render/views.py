"""Plain view data for templates: cards, stage bars, dates and timeline entries."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from html import unescape
from itertools import groupby
from typing import Any

from ..archive.rules import ANNOUNCE, POST
from ..model import Activity, Event, Project, Site
from . import i18n, placeholders, urls
from .accessible import demote_headings
from .i18n import _
from .index import SiteIndex, as_utc, is_challenge, localize
from .sanitize import absolutize
from .urls import Urls

_TAG = re.compile(r"<[^>]*>")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = str.maketrans({c: " " for c in "#*_`>|~"})
# A list bullet ("- ", "+ " after a space or at the start) or a task box ("[ ]", "[x]").
# Leading with the character class lets the regex engine skip ahead: 3x faster than
# putting the look-behind first, and this runs on every pitch.
_MD_BULLETS = re.compile(r"[-+\[](?:(?<=[-+])(?<!\S[-+])(?=\s)|(?<=\[)[ xX]\])")

DASH = "\u2013"


def plain_words(markdown: str, words: int = 50) -> str:
    """The first words of a Markdown text as plain text (cheap: no Markdown rendering)."""
    text = markdown[: words * 16]
    if "](" in text:
        text = _MD_LINK.sub(r"\1", _MD_IMAGE.sub(" ", text))
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = unescape(text)
    parts = _MD_BULLETS.sub(" ", text.translate(_MD_MARKS)).split()
    out = " ".join(parts[:words])
    return out + " …" if len(parts) > words else out


def stage(site: Site, project: Project) -> dict[str, Any]:
    progress = project.stage
    return {
        "number": site.stages.stage_for(progress).number,
        "label": site.stages.label(progress, project.event),
        "percent": site.stages.percent(progress),
        "pending": progress < 0,
    }


def category_of(site: Site, u: Urls, project: Project) -> dict[str, str] | None:
    category = site.categories.get((project.event, project.category)) if project.category else None
    if category is None:
        return None
    return {
        "name": category.name,
        "url": u.link(urls.challenge_dir(project.event, category.slug)),
        "color": category.logo_color,
    }


TEAM_SHOWN = 5
"""Avatars a card shows; the rest of the team is counted."""


def card(site: Site, index: SiteIndex, u: Urls, project: Project) -> dict[str, Any]:
    """What a project card shows: its picture or a placeholder of initials on the
    project's colour (or its challenge's), stage, challenge and team."""
    category = category_of(site, u, project)
    members = project.team_members
    return {
        "slug": project.slug,
        "name": project.name,
        "summary": project.summary,
        "url": u.link(urls.project_dir(project.event, project.slug)),
        "image": u.media(project.image_url),
        "stage": stage(site, project),
        "team": [person(index, m, u) for m in members[:TEAM_SHOWN]],
        "team_more": max(0, len(members) - TEAM_SHOWN),
        "category": category,
        "challenge": is_challenge(project),
        "initials": placeholders.initials(project.name),
        "color": placeholders.color(
            project.name, project.logo_color or (category["color"] if category else "")
        ),
    }


def project_links(project: Project) -> list[tuple[str, str]]:
    """(label, URL) of a project's own links that may be shown, labels in the page's language."""
    return [
        (label, urls.outbound(url))
        for label, url in (
            (_("Website"), project.webpage_url),
            (_("Source code"), project.source_url),
            (_("Download"), project.download_url),
            (_("Contact"), project.contact_url),
            (_("Documentation"), project.autotext_url),
        )
        if urls.outbound(url)
    ]


def person(index: SiteIndex, username: str, u: Urls | None = None) -> dict[str, str]:
    """A participant's public name, page and avatar (with `u`: a picture, or initials on
    a colour of their name when they have none)."""
    found = index.people.get(username)
    name = (found.fullname if found else "") or username
    shown = {"name": name, "url": urls.outbound(found.webpage_url) if found else ""}
    if u is not None:
        shown["avatar"] = u.media(found.avatar_url) if found else ""
        shown["initials"] = placeholders.initials(name)
        shown["color"] = placeholders.color(username)
    return shown


def when(index: SiteIndex, event: Event) -> dict[str, Any]:
    """Start and end in the event's own zone, with a readable range and the zone's name,
    written in the language of the page."""
    start, end = index.start(event), index.end(event)
    return {
        "start": start,
        "end": end,
        "text": i18n.date_range(start, end),
        "times": i18n.date_times(start, end),
        "zone": str(index.zone(event.slug)),
    }


def N_(message: str) -> str:
    """Marks a label for extraction; it is translated where it is shown."""
    return message


KINDS = {
    "announcement": N_("announcement"),
    "update": N_("update"),
    "post": N_("post"),
    "star": N_("joined"),
    "unstar": N_("left"),
    "create": N_("created"),
    "commit": N_("commit"),
    "review": N_("review"),
    "boost": N_("boost"),
    "auto": N_("automatic"),
}
"""What each kind of activity is called, by Dribdat's names ("star" is joining a team)."""


def kind_label(kind: str) -> str:
    """The page's word for an activity's kind; a kind Jamdat does not know, as written."""
    label = KINDS.get(kind)
    return i18n.gettext(label) if label else kind


def live_labels() -> dict[str, str]:
    """What live.js writes, by its English words (`{user}` marks where the name goes)."""
    labels = {"by {user}": _("by %(user)s", user="{user}")}
    labels.update({kind: kind_label(kind) for kind in KINDS})
    return labels


def is_post(item: Activity) -> bool:
    """Posts and announcements are Markdown written by people; commits and syncs are shown
    as plain text."""
    return item.action in (POST, ANNOUNCE) and bool(item.content.strip())


def activity(
    site: Site, index: SiteIndex, u: Urls, item: Activity, markdown: Callable[[str], str]
) -> dict[str, Any]:
    name, legacy_url = index.project_refs[(item.event, item.project)] if item.project else ("", "")
    local = localize(as_utc(item.date), index.zone(item.event))
    content = item.content.strip()
    # Dribdat wrote posts with links relative to its own server.
    base = legacy_url or site.events[item.event].legacy_url
    return {
        "id": item.id,
        "time": local,
        "project": name,
        "url": u.link(urls.project_dir(item.event, item.project)) if item.project else "",
        "kind": "announcement" if item.action == ANNOUNCE else item.action or item.name or "update",
        "user": person(index, item.user, u) if item.user else None,
        "content": content if len(content) <= 600 else content[:600].rstrip() + " …",
        # Under a day's h3 in a timeline: a post's outline starts at h4.
        "html": demote_headings(absolutize(markdown(item.content), base, u), 2)
        if is_post(item)
        else "",
        "ref_url": urls.outbound(item.ref_url),
    }


def activity_days(
    site: Site,
    index: SiteIndex,
    u: Urls,
    items: list[Activity],
    markdown: Callable[[str], str],
) -> list[tuple[datetime, list[dict[str, Any]]]]:
    """Entries grouped by local day, newest first (items come sorted newest first)."""
    entries = [activity(site, index, u, a, markdown) for a in items]
    return [(day[0]["time"], day) for day in _group(entries)]


def _group(entries: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [list(g) for _, g in groupby(entries, key=lambda e: e["time"].date())]


def pitch_base(project: Project, event: Event | None) -> str:
    """Where a pitch came from (the project's or event's Dribdat page): its relative
    links and images resolve against it."""
    return project.legacy_url or (event.legacy_url if event else "")


def pitch_html(
    markdown: Callable[[str], str], text: str, base: str, own: Urls | None = None
) -> str:
    """A pitch as the project page shows it: sanitized Markdown, links made absolute (and
    links to the site itself, with `own`, site paths)."""
    return absolutize(markdown(text), base, own)
