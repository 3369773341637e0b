"""Where every page lives: output paths, root-relative links and absolute URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..archive.rules import ACTIVITY, CHALLENGE, PAGE, SLIDES, STAGE

if TYPE_CHECKING:
    from ..config import SiteConfig


def event_dir(event: str) -> str:
    return f"{event}/"


def project_dir(event: str, project: str) -> str:
    return f"{event}/{project}/"


def challenge_dir(event: str, category: str) -> str:
    return f"{event}/{CHALLENGE}/{category}/"


def stage_dir(event: str, number: int) -> str:
    return f"{event}/{STAGE}/{number}/"


def gallery_dir(directory: str, number: int) -> str:
    """Page `number` of a gallery whose first page is `directory`: the event's or a
    filter's (`/<event>/page/2/`, `/<event>/stage/30/page/2/`)."""
    return directory if number == 1 else f"{directory}{PAGE}/{number}/"


def activity_dir(event: str) -> str:
    return f"{event}/{ACTIVITY}/"


def activity_part_dir(event: str, project: str, number: int) -> str:
    """Numbered page `number` of older activity: of a project, or with project "" of
    the whole event (see `paging`)."""
    stream = project_dir(event, project) if project else event_dir(event)
    return f"{stream}{ACTIVITY}/{number}/"


def stream_dir(event: str, project: str) -> str:
    """The page that shows a stream's newest activity: the project's, or the event's log."""
    return project_dir(event, project) if project else activity_dir(event)


def slides_dir(directory: str) -> str:
    """The slide deck of a page: `/<event>/slides/`, `/<event>/<project>/slides/`."""
    return f"{directory}{SLIDES}/"


def hackathon_file(event: str) -> str:
    """The event's schema.org `Hackathon` JSON-LD, where Dribdat serves it."""
    return f"{event}/hackathon.json"


def api_dir(event: str) -> str:
    return f"api/event/{event}/"


def page_file(directory: str) -> str:
    """The file of a pretty URL: `a/b/` -> `a/b/index.html`."""
    return f"{directory}index.html"


def is_absolute(url: str) -> bool:
    """Whether a base URL names its scheme and host (`https://example.org/archive/`)."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def is_external(url: str) -> bool:
    return "://" in url or url.startswith(("//", "mailto:", "tel:", "data:"))


@dataclass(frozen=True, slots=True)
class Urls:
    """Links for one configuration: root-relative for pages, absolute for feeds and meta."""

    base_path: str
    site_url: str

    @classmethod
    def of(cls, config: SiteConfig) -> Urls:
        return cls(config.base_path, config.site_url)

    def link(self, path: str = "") -> str:
        """A root-relative link to a site path (`glamhack/` -> `/archive/glamhack/`)."""
        return self.base_path + path

    def absolute(self, path: str = "") -> str:
        return self.site_url + path

    def media(self, url: str) -> str:
        """An image or file URL as given, or made root-relative when it is a site path."""
        if not url or is_external(url):
            return url
        return self.base_path + url.lstrip("/")

    def media_absolute(self, url: str) -> str:
        if not url or is_external(url):
            return url
        return self.site_url + url.lstrip("/")


_HOSTLIKE = re.compile(r"^[\w-]+(\.[\w-]+)+(:\d+)?([/?#]\S*)?$")


def outbound(url: str) -> str:
    """A usable link to another site: as given with a scheme, `https://` added to a bare
    host (`dw.com/x`), or empty for anything else (imported data has such values)."""
    url = url.strip()
    if not url:
        return ""
    if url.startswith(("http://", "https://", "mailto:", "tel:")):
        return url
    if url.startswith("//"):
        return "https:" + url
    if _HOSTLIKE.match(url):
        return "https://" + url
    return ""
