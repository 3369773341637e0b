"""Where an archive points at remote images: event logos and headers, project images, and
images in event texts, pitches and READMEs; and how each reference is rewritten."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..archive.layout import event_text_path, project_text_path
from ..archive.rules import EVENT_TEXTS, PROJECT_TEXT_FIELDS
from ..model import Site

FIELDS = {"events": ("logo_url", "gallery_url"), "projects": ("image_url",)}
EVENT_MARKDOWN = ("description", *EVENT_TEXTS)
"""An event's Markdown texts (its style sheet holds no images to pull)."""

_MARKDOWN_IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*<?(https?://[^\s)>]+)")
_HTML_IMAGE = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']?(https?://[^\s"'>]+)""", re.IGNORECASE)


def is_remote(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def text_images(text: str) -> list[str]:
    """Remote image URLs of a Markdown text (`![..](url)` and `<img src=url>`), in order."""
    found = [m.group(1) for m in _MARKDOWN_IMAGE.finditer(text)]
    found += [m.group(1) for m in _HTML_IMAGE.finditer(text)]
    return list(dict.fromkeys(found))


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


def find(site: Site) -> list[Reference]:
    """Every remote image reference of the archive, in a stable order."""
    refs: list[Reference] = []
    for e in sorted(site.events.values(), key=lambda e: e.slug):
        for name in FIELDS["events"]:
            url = getattr(e, name)
            if is_remote(url):
                refs.append(Reference(url, f"data/events.csv, event {e.slug}, field '{name}'"))
        for name in EVENT_MARKDOWN:
            for url in text_images(getattr(e, name)):
                refs.append(Reference(url, event_text_path(e.slug, name)))
    for p in sorted(site.projects.values(), key=lambda p: p.key):
        if is_remote(p.image_url):
            where = f"data/projects.csv, project {p.event}/{p.slug}, field 'image_url'"
            refs.append(Reference(p.image_url, where))
        for name in PROJECT_TEXT_FIELDS:
            for url in text_images(getattr(p, name)):
                refs.append(Reference(url, project_text_path(p.event, p.slug, name)))
    return refs


def rewrite(site: Site, field_value: dict[str, str], text_value: dict[str, str]) -> int:
    """Point references at local copies: table cells get `field_value[url]`, texts get
    `text_value[url]`. Returns how many references changed."""
    count = 0
    records: list[tuple[object, tuple[str, ...], tuple[str, ...]]] = [
        (e, FIELDS["events"], EVENT_MARKDOWN) for e in site.events.values()
    ]
    records += [(p, FIELDS["projects"], PROJECT_TEXT_FIELDS) for p in site.projects.values()]
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
