"""How many images the site would load from other hosts, for the build's warning: an
archive that hotlinks shows empty boxes once those hosts are gone or the reader is offline.

The count is remembered in the archive's state folder with the build's input signature,
so a build that finds nothing changed can warn without loading the archive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..fsutil import atomic_write
from ..model import Site
from .refs import find

CACHE = "hotlinks.json"


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
