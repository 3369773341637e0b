"""Where an archive points at remote images: event logos and headers, project images,
people's avatars, and images in event and challenge texts, pitches, READMEs and activity
posts; which pages show each; and how each reference is rewritten."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, TypeVar

from ..archive.layout import event_text_path, project_text_path
from ..archive.rules import EVENT_TEXTS, PROJECT_TEXT_FIELDS
from ..model import Activity, Category, Event, Person, Project, Site

_R = TypeVar("_R", Event, Category, Project, Activity, Person)

FIELDS = {
    "events": ("logo_url", "gallery_url"),
    "projects": ("image_url",),
    "people": ("avatar_url",),
}
EVENT_MARKDOWN = ("description", *EVENT_TEXTS)
"""An event's Markdown texts (its style sheet holds no images to pull)."""

USES = ("logo", "image", "text", "avatar")
"""What a reference is shown as, which sets how large its copy is kept (`resize.py`)."""

_MARKDOWN_IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*<?(https?://[^\s)>]+)")
_HTML_IMAGE = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']?(https?://[^\s"'>]+)""", re.IGNORECASE)


def is_remote(url: str) -> bool:
    return url.startswith(("http://", "https://"))


@lru_cache(maxsize=65536)
def text_images(text: str) -> tuple[str, ...]:
    """Remote image URLs of a Markdown text (`![..](url)` and `<img src=url>`), in order.
    Cached: builds ask again for every text, and most texts did not change."""
    if "http" not in text:
        return ()
    # Most texts hold links but no image: the patterns' first characters rule them out
    # faster than a scan by either pattern.
    found = [m.group(1) for m in _MARKDOWN_IMAGE.finditer(text)] if "![" in text else []
    if "<" in text:
        found += [m.group(1) for m in _HTML_IMAGE.finditer(text)]
    return tuple(dict.fromkeys(found))


def rewrite_text(text: str, new: dict[str, str]) -> tuple[str, int]:
    """`text` with image URLs replaced where `new` has them; also the number replaced.
    Only image positions change: the same URL in a plain link stays."""
    count = 0

    def swap(match: re.Match[str]) -> str:
        nonlocal count
        url = match.group(1)
        if url not in new:
            return match.group(0)
        count += 1
        start, end = match.span(1)
        whole = match.group(0)
        offset = match.start(0)
        return whole[: start - offset] + new[url] + whole[end - offset :]

    text = _MARKDOWN_IMAGE.sub(swap, text)
    text = _HTML_IMAGE.sub(swap, text)
    return text, count


@dataclass(frozen=True, slots=True)
class Reference:
    """One place that points at a remote image."""

    url: str
    where: str
    """The file (and record and field, for table cells) that holds the reference."""
    use: str = "text"
    """One of USES."""
    pages: tuple[str, ...] = ()
    """The site pages that show it (paths as `<event>/<project>/`; `` is the index)."""


def _own(site: Site) -> str:
    """The start of the site's own address (texts point at pulled copies there)."""
    own = site.config.site_url
    return own if is_remote(own) else "\0"


def _remote_images(own: str, text: str) -> tuple[str, ...]:
    found = text_images(text)
    return tuple(u for u in found if not u.startswith(own)) if found else found


def remote_images(site: Site, text: str) -> tuple[str, ...]:
    """The remote images of a Markdown text, as `find` finds them (not the site's own)."""
    return _remote_images(_own(site), text)


def find(site: Site, ordered: bool = True) -> list[Reference]:
    """Every remote image reference of the archive (not those on the site's own address,
    where texts point at pulled copies), in a stable order unless `ordered` is false:
    counting needs none, and sorting 10,000 projects costs."""

    def order(records: list[_R], key: Callable[[_R], Any]) -> list[_R]:
        return sorted(records, key=key) if ordered else records

    own = _own(site)

    def remote(url: str) -> bool:
        return is_remote(url) and not url.startswith(own)

    images = partial(_remote_images, own)

    refs: list[Reference] = []
    avatars = any(remote(p.avatar_url) for p in site.people.values())
    for e in order(list(site.events.values()), lambda e: e.slug):
        page = f"{e.slug}/"
        if remote(e.logo_url):
            where = f"data/events.csv, event {e.slug}, field 'logo_url'"
            refs.append(Reference(e.logo_url, where, "logo", ("", page)))
        if remote(e.gallery_url):
            where = f"data/events.csv, event {e.slug}, field 'gallery_url'"
            refs.append(Reference(e.gallery_url, where, "image", (page,)))
        for name in EVENT_MARKDOWN:
            for url in images(getattr(e, name)):
                refs.append(Reference(url, event_text_path(e.slug, name), "text", (page,)))
    for c in order(list(site.categories.values()), lambda c: (c.event, c.slug)):
        for url in images(c.description):
            where = f"data/categories.csv, challenge {c.event}/{c.slug}, field 'description'"
            refs.append(Reference(url, where, "text", (f"{c.event}/",)))
    # Hidden projects and their activities are on no page (but their images are pulled).
    member_of: dict[str, list[str]] = defaultdict(list)
    hidden = set()
    nowhere: tuple[str, ...] = ()
    for p in order(list(site.projects.values()), lambda p: p.key):
        if p.is_hidden:
            hidden.add(p.key)
        texts = [
            (name, found) for name in PROJECT_TEXT_FIELDS if (found := images(getattr(p, name)))
        ]
        image = remote(p.image_url)
        if not (texts or image or (avatars and p.team)):
            continue  # most projects: nothing to allocate
        page = f"{p.event}/{p.slug}/"
        shown = nowhere if p.is_hidden else (page,)
        if avatars:
            for member in p.team_members:
                member_of[member].extend(shown)
        if image:
            where = f"data/projects.csv, project {p.event}/{p.slug}, field 'image_url'"
            refs.append(Reference(p.image_url, where, "image", shown and (f"{p.event}/", page)))
        for name, found in texts:
            where = project_text_path(p.event, p.slug, name)
            refs.extend(Reference(url, where, "text", shown) for url in found)
    for a in order(list(site.activities.values()), lambda a: a.id):
        found = images(a.content)
        if not (found or (avatars and a.user)):
            continue
        listed = f"{a.event}/activity/"
        if a.project and (a.event, a.project) in hidden:
            pages = nowhere
        else:
            pages = (f"{a.event}/{a.project}/", listed) if a.project else (listed,)
        if avatars and a.user:
            member_of[a.user].extend(pages)
        where = f"data/activities.csv, activity {a.id}, field 'content'"
        refs.extend(Reference(url, where, "text", pages) for url in found)
    for person in order(list(site.people.values()), lambda p: p.username):
        if remote(person.avatar_url):
            where = f"data/people.csv, person {person.username}, field 'avatar_url'"
            pages = tuple(dict.fromkeys(member_of.get(person.username, ())))
            refs.append(Reference(person.avatar_url, where, "avatar", pages))
    return refs


def rewrite(site: Site, field_value: dict[str, str], text_value: dict[str, str]) -> int:
    """Point references at local copies: table cells get `field_value[url]`, texts get
    `text_value[url]`. Returns how many references changed."""
    count = 0
    records: list[tuple[object, tuple[str, ...], tuple[str, ...]]] = [
        (e, FIELDS["events"], EVENT_MARKDOWN) for e in site.events.values()
    ]
    records += [(c, (), ("description",)) for c in site.categories.values()]
    records += [(p, FIELDS["projects"], PROJECT_TEXT_FIELDS) for p in site.projects.values()]
    records += [(a, (), ("content",)) for a in site.activities.values()]
    records += [(p, FIELDS["people"], ()) for p in site.people.values()]
    for record, cells, texts in records:
        for name in cells:
            url = getattr(record, name)
            if url in field_value:
                setattr(record, name, field_value[url])
                count += 1
        for name in texts:
            text, n = rewrite_text(getattr(record, name), text_value)
            if n:
                setattr(record, name, text)
                count += n
    return count
