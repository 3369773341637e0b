"""The archive's naming rules, in one place: slugs, the names reserved for the site's own
pages, an event's long texts and the time zone rule. Import, the CLI, the API and the
load's checks all use these."""

from __future__ import annotations

import re
from collections.abc import Container
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .schema import SLUG_PATTERN

MAX_LENGTH = 60
"""Longest slug made from a name (a typed one may be as long as the schema allows)."""

SLUG_RE = re.compile(SLUG_PATTERN)


def slugify(text: str, fallback: str) -> str:
    """A URL-safe slug for `text` (transliterated), or `fallback` when nothing is left."""
    from slugify import slugify as _slugify  # 7 ms: only importers and `new` need it

    slug = _slugify(text or "", max_length=MAX_LENGTH, word_boundary=True, lowercase=True)
    return slug or fallback


def unique_slug(base: str, taken: Container[str]) -> str:
    """`base`, or `base-2`, `base-3` ... whichever is not taken yet."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


POST, ANNOUNCE = "post", "announce"
"""Activity actions written by people: a team's update ("drib", Markdown, on a project) and
an organiser's announcement (Markdown, to the whole event: its `project` is empty)."""

ACTIVITY, SLIDES, CHALLENGE, STAGE, PAGE = "activity", "slides", "challenge", "stage", "page"
"""Folders of an event's own pages (`/<event>/activity/`, `/<event>/challenge/<c>/`,
`/<event>/page/2/` for the gallery's second page ...)."""

EVENT_PAGES = frozenset({ACTIVITY, SLIDES, CHALLENGE, STAGE, PAGE})
"""Slugs no project may use: its page would be, or sit among, the event's own pages."""

SITE_PAGES = frozenset({"api", "assets", "search", "media", SLIDES, "project", "event"})
"""Top-level folders of the site; no event may use these slugs (`project/<id>/` and
`event/<id>/` forward old Dribdat links)."""


def pattern_problem(slug: str) -> str | None:
    """Why `slug` is not a slug at all (whole string, so no trailing newline), or None."""
    if SLUG_RE.fullmatch(slug):
        return None
    return (
        f"{slug!r} is not a valid slug: use lowercase letters, digits and single "
        "hyphens (no spaces, '/' or '..')"
    )


def reserved_problem(slug: str, *, event: bool) -> str | None:
    """Why `slug` cannot name an event (`event=True`) or a project, or None when it can."""
    if event:
        names, where = SITE_PAGES, f"/{slug}/ is a folder of the site's own pages"
    else:
        names, where = EVENT_PAGES, f"/<event>/{slug}/ holds the event's own pages"
    if slug not in names:
        return None
    whose = "events" if event else "projects"
    return (
        f"slug {slug!r} is reserved for the site's own pages: {where} "
        f"(reserved for {whose}: {', '.join(sorted(names))})"
    )


def slug_problem(slug: str, *, event: bool) -> str | None:
    """Why `slug` is not a usable key for an event or a project, or None when it is."""
    return pattern_problem(slug) or reserved_problem(slug, event=event)


BLANK = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
BLANK += "\u2028\u2029\u202f\u205f\u3000\ufeff"
"""Characters a name must not consist of alone: Python's whitespace and JSON Schema's
(`\\s` differs between them), so the API's description and its check agree."""


def is_blank(text: str) -> bool:
    """Whether `text` holds nothing but `BLANK` characters."""
    return not text.strip(BLANK)


EVENT_TEXTS = ("instruction", "boilerplate", "aftersubmit", "community_embed")
"""An event's long texts besides its description: `events/<slug>/<name>.md`."""

EVENT_CSS = "custom_css"
"""An event's own style sheet: `events/<slug>/custom_css.css`."""

EVENT_TEXT_FIELDS = ("description", *EVENT_TEXTS, EVENT_CSS)
"""Every long-text field of an event, as the model names them."""

PROJECT_TEXT_FIELDS = ("pitch", "readme")
"""Every long-text field of a project: its pitch (by the team) and synced README."""


def zone_problem(name: str) -> str | None:
    """Why `name` is not a time zone, or None when it is one (zones are IANA names)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder of zones
        return f"unknown time zone {name!r}: use an IANA name like 'Europe/Zurich'"
    return None


def zone_names() -> frozenset[str]:
    """Every IANA zone name this machine knows (the choices an API client is offered)."""
    from zoneinfo import available_timezones  # reads the zone database: only when asked

    return frozenset(available_timezones())


def event_zone(timezone: str, default: str) -> ZoneInfo:
    """An event's zone: its own `timezone`, or else the site's `default` (both checked
    when the archive was loaded; code past the load resolves them without checking)."""
    return ZoneInfo(timezone or default)
