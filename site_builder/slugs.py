"""Slugs: the keys and URL segments of events, projects and categories."""

from __future__ import annotations

from collections.abc import Container

MAX_LENGTH = 60


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


ACTIVITY, SLIDES, CHALLENGE, STAGE = "activity", "slides", "challenge", "stage"
"""Folders of an event's own pages (`/<event>/activity/`, `/<event>/challenge/<c>/` ...)."""

EVENT_PAGES = frozenset({ACTIVITY, SLIDES, CHALLENGE, STAGE})
"""Slugs no project may use: its page would be, or sit among, the event's own pages."""

SITE_PAGES = frozenset({"api", "assets", "search", "media", SLIDES, "project", "event"})
"""Top-level folders of the site; no event may use these slugs (`project/<id>/` and
`event/<id>/` forward old Dribdat links)."""
