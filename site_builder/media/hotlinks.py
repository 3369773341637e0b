"""How many images the site would load from other hosts, for the build's warning: an
archive that hotlinks shows empty boxes once those hosts are gone or the reader is offline.

The count is remembered in the archive's state folder with the build's input signature,
so a build that finds nothing changed can warn without loading the archive.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from ..archive.layout import text_slot
from ..archive.rules import PROJECT_TEXT_FIELDS
from ..fsutil import atomic_write
from .refs import EVENT_MARKDOWN, find, remote_images, text_images

if TYPE_CHECKING:
    from ..model import Site

CACHE = "hotlinks.json"
TEXTS = "hotlinks-texts.json"

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


@dataclass(frozen=True, slots=True)
class Counted:
    """A count, with the remote images of each long-text file it found them in: a later
    build whose only changes are texts that hold the same images need not count again."""

    hotlinks: Hotlinks
    texts: Mapping[str, Any]
    """The remote images of each text file holding any, by its path in the content (as
    read back from `TEXTS`, unchecked: `same_text_images` compares only what it asks)."""
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    """Names this count's `texts` where they are remembered (`TEXTS`), apart from the
    count: a build with nothing to do reads the count alone."""


def count(site: Site) -> Counted:
    """Distinct remote images of the archive, the pages that show them, and their hosts."""
    refs = find(site, ordered=False)
    hidden = {f"{p.event}/{p.slug}/" for p in site.projects.values() if p.is_hidden}
    images: set[str] = set()
    pages: set[str] = set()
    texts: dict[str, list[str]] = {}
    for ref in refs:
        if ref.use == "text" and text_slot(ref.where) is not None:
            texts.setdefault(ref.where, []).append(ref.url)
        shown = [page for page in ref.pages if page not in hidden]
        if shown:
            images.add(ref.url)
            pages.update(shown)
    hosts = {(urlsplit(url).hostname or "").lower() for url in images}
    found = Hotlinks(len(images), len(pages), len(hosts))
    return Counted(found, {rel: tuple(urls) for rel, urls in texts.items()})


def same_text_images(site: Site, changed: Iterable[str], texts: Mapping[str, Any]) -> bool:
    """Whether the text files `changed` (paths in the content) hold the very remote images
    `texts` says they held when last counted (a file without images is not in it)."""
    for rel in changed:
        slot = text_slot(rel)
        if slot is None:
            return False
        kind, key, name = slot
        record = (site.projects if kind == "project" else site.events).get(key)
        if record is None:
            return False
        if name not in (PROJECT_TEXT_FIELDS if kind == "project" else EVENT_MARKDOWN):
            continue  # a style sheet: no image of it is counted
        held = texts.get(rel, ())
        if not isinstance(held, list | tuple):
            return False  # not as `remember` wrote it: count again
        if remote_images(site, getattr(record, name)) != tuple(held):
            return False
    return True


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


@dataclass(frozen=True, slots=True)
class Remembered:
    """The last count remembered: the input signature of the build that made it, the
    count, and the token of the texts it was made from (`Counted.token`)."""

    inputs: str
    hotlinks: Hotlinks
    token: str


def remembered(state_dir: Path) -> Remembered | None:
    """The last count remembered, if any."""
    try:
        data = json.loads((state_dir / CACHE).read_text(encoding="utf-8"))
        found = Hotlinks(int(data["images"]), int(data["pages"]), int(data["hosts"]))
        return Remembered(str(data["inputs"]), found, str(data["texts"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remembered_counted(state_dir: Path, last: Remembered) -> Counted | None:
    """The last count with the images of each text it was made from, if still kept."""
    try:
        data = json.loads((state_dir / TEXTS).read_text(encoding="utf-8"))
        if data["token"] != last.token or not isinstance(data["texts"], dict):
            return None
        texts = data["texts"]  # each entry checked when asked: a build asks for a few
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Counted(last.hotlinks, texts, last.token)


def remember(state_dir: Path, inputs: str, counted: Counted, last: Remembered | None) -> None:
    """Keep `counted` for the next build; its texts only when `last` was another count."""
    if last is None or last.token != counted.token:
        texts = {"token": counted.token, "texts": counted.texts}
        atomic_write(state_dir / TEXTS, (json.dumps(texts) + "\n").encode("utf-8"))
    found = counted.hotlinks
    data = {
        "inputs": inputs,
        "images": found.images,
        "pages": found.pages,
        "hosts": found.hosts,
        "texts": counted.token,
    }
    atomic_write(state_dir / CACHE, (json.dumps(data) + "\n").encode("utf-8"))
