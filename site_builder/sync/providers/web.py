"""Any other web page: title, description and image from OpenGraph, then the Twitter
card, then `<title>` and the meta description, with HTML entities decoded."""

from __future__ import annotations

import html
import re
from urllib.parse import SplitResult

from selectolax.lexbor import LexborHTMLParser

from .base import Metadata, Provider, Target, absolute_url

_SPACE = re.compile(r"\s+")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]{1,31});")
_MAX_DESCRIPTION = 500


class WebPage(Provider):
    kind = "web"

    def target(self, url: SplitResult) -> Target | None:
        if url.scheme not in ("http", "https") or not url.hostname:
            return None
        address = url.geturl()
        return Target(address, url.hostname, address, address)

    async def metadata(self, target: Target) -> Metadata:
        fetched = await self.fetch(target.url, accept="text/html,application/xhtml+xml")
        kind = fetched.content_type.split(";", 1)[0].strip().lower()
        if kind and "html" not in kind and "xml" not in kind:
            page = PageMeta()  # a PDF, an image ...: nothing to preview
        else:
            page = PageMeta.parse(fetched.text(), fetched.final_url)
        return Metadata(
            web_url=fetched.final_url,
            name=page.title,
            summary=page.description,
            image_url=page.image,
            not_modified=fetched.not_modified,
        )


class PageMeta:
    """The link-preview facts of an HTML page."""

    def __init__(self, title: str = "", description: str = "", image: str = "") -> None:
        self.title = title
        self.description = description
        self.image = image

    @property
    def found(self) -> bool:
        return bool(self.title or self.description or self.image)

    @classmethod
    def parse(cls, text: str, base_url: str) -> PageMeta:
        tree = LexborHTMLParser(text)
        tags: dict[str, str] = {}
        for node in tree.css("meta"):
            attrs = node.attributes
            key = (attrs.get("property") or attrs.get("name") or "").strip().lower()
            value = attrs.get("content")
            if key and value and value.strip() and key not in tags:
                tags[key] = value
        title_node = tree.css_first("title")
        page_title = title_node.text() if title_node is not None else ""

        def pick(*keys: str) -> str:
            for key in keys:
                if tags.get(key):
                    return clean(tags[key])
            return ""

        title = pick("og:title", "twitter:title") or clean(page_title)
        description = pick("og:description", "twitter:description", "description")
        image = pick(
            "og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"
        )
        if len(description) > _MAX_DESCRIPTION:
            description = description[: _MAX_DESCRIPTION - 1].rstrip() + "…"
        return cls(title, description, absolute_url(base_url, image) if image else "")


def clean(text: str) -> str:
    """Entities decoded (pages that escape twice get decoded twice), spaces collapsed."""
    for _ in range(3):
        if not _ENTITY.search(text):
            break
        text = html.unescape(text)
    return _SPACE.sub(" ", text).strip()


PROVIDER = WebPage
