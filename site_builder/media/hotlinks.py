"""How many images the site would load from other hosts, for the build's warning: an
archive that hotlinks shows empty boxes once those hosts are gone or the reader is offline.

The count is remembered in the archive's state folder with the build's input signature,
so a build that finds nothing changed can warn without loading the archive.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ..archive.rules import PROJECT_TEXT_FIELDS
from ..fsutil import atomic_write
from ..model import Site
from .refs import EVENT_MARKDOWN, find, text_images

CACHE = "hotlinks.json"

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Hotlinks:
    images: int
    pages: int
    hosts: int

    def warning(self) -> str | None:
        """The build's warning, or None when every image is local."""
        if not self.images:
            return None
        return (
            f"{_n(self.images, 'image')} on {_n(self.pages, 'page')} "
            f"{'is' if self.images == 1 else 'are'} linked from {_n(self.hosts, 'other host')}: "
            "offline or once those hosts are gone they show as empty boxes; run "
            "`jamdat media pull` to keep copies in content/media/"
        )


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def count(site: Site) -> Hotlinks:
    """Distinct remote images of the archive, the pages that show them, and their hosts."""
    refs = find(site, ordered=False)
    hidden = {f"{p.event}/{p.slug}/" for p in site.projects.values() if p.is_hidden}
    images: set[str] = set()
    pages: set[str] = set()
    for ref in refs:
        shown = [page for page in ref.pages if page not in hidden]
        if shown:
            images.add(ref.url)
            pages.update(shown)
    hosts = {(urlsplit(url).hostname or "").lower() for url in images}
    return Hotlinks(len(images), len(pages), len(hosts))


def same_images(old: Site, new: Site) -> bool:
    """Whether `new` links the very images `old` does: it differs at most in the Markdown
    texts of some events and projects (a session's reload of edited texts), and those
    hold the same images. A session then need not count again."""
    others = [f.name for f in dataclasses.fields(new) if f.name not in ("events", "projects")]
    if any(getattr(old, name) is not getattr(new, name) for name in others):
        return False
    return _same_images(old.events, new.events, EVENT_MARKDOWN) and _same_images(
        old.projects, new.projects, PROJECT_TEXT_FIELDS
    )


def _same_images(before: Mapping[K, Any], after: Mapping[K, Any], texts: tuple[str, ...]) -> bool:
    """Whether the records of `after` differ from those of `before` only in their `texts`,
    and those hold the same images."""
    if before.keys() != after.keys():
        return False
    for key, record in after.items():
        was = before[key]
        if was is record:
            continue
        fields = [f.name for f in dataclasses.fields(record) if f.name not in texts]
        if any(getattr(was, name) != getattr(record, name) for name in fields):
            return False
        if any(text_images(getattr(was, n)) != text_images(getattr(record, n)) for n in texts):
            return False
    return True


def remembered(state_dir: Path, inputs: str) -> Hotlinks | None:
    """The count a build with the same inputs found, if one did."""
    try:
        data = json.loads((state_dir / CACHE).read_text(encoding="utf-8"))
        if data["inputs"] == inputs:
            return Hotlinks(int(data["images"]), int(data["pages"]), int(data["hosts"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def remember(state_dir: Path, inputs: str, found: Hotlinks) -> None:
    data = {"inputs": inputs, "images": found.images, "pages": found.pages, "hosts": found.hosts}
    atomic_write(state_dir / CACHE, (json.dumps(data) + "\n").encode("utf-8"))
