"""Any other web page: title, description and image from OpenGraph, then the Twitter
card, then `<title>` and the meta description, then microdata and JSON-LD, with HTML
entities decoded."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import SplitResult

import json5
from selectolax.lexbor import LexborHTMLParser

from .base import Metadata, Provider, Target, absolute_url

_SPACE = re.compile(r"\s+")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]{1,31});")
_MAX_DESCRIPTION = 500
_MAX_JSON5 = 100_000


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
            page = PageMeta.parse(fetched.text(html=True), fetched.final_url)
        return Metadata(
            web_url=fetched.final_url,
            name=page.title,
            summary=page.description,
            image_url=page.image,
            not_modified=fetched.not_modified,
        )


class PageMeta:
    """The link-preview facts of an HTML page.

    Each comes from the first source that has it, in metascraper's order: OpenGraph,
    the Twitter card, `<title>` and `<meta name=description>`, then microdata
    (`itemprop`) and JSON-LD; an image also from `<link rel=image_src>` (the preview
    image pages declared before OpenGraph), after the Twitter card."""

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
        linked = tree.css_first('link[rel~="image_src" i][href]')
        ld = _LinkedData(tree)

        def pick(*keys: str) -> str:
            for key in keys:
                if tags.get(key):
                    return clean(tags[key])
            return ""

        title = (
            pick("og:title", "twitter:title")
            or clean(page_title)
            or ld.text("headline")
            or _itemprop(tree, "name")
            or ld.name()
        )
        description = (
            pick("og:description", "twitter:description", "description")
            or _itemprop(tree, "description")
            or ld.text("description")
        )
        image = (
            pick(
                "og:image",
                "og:image:url",
                "og:image:secure_url",
                "twitter:image",
                "twitter:image:src",
            )
            or clean((linked.attributes.get("href") or "") if linked is not None else "")
            or _itemprop(tree, "image")
            or ld.image()
        )
        if len(description) > _MAX_DESCRIPTION:
            description = description[: _MAX_DESCRIPTION - 1].rstrip() + "…"
        return cls(title, description, absolute_url(base_url, image) if image else "")


def _itemprop(tree: LexborHTMLParser, name: str) -> str:
    """The first microdata property `name`: its `content`, link or text."""
    for node in tree.css(f'[itemprop~="{name}"]'):
        attrs = node.attributes
        value = attrs.get("content") or attrs.get("src") or attrs.get("href")
        if value is None and name != "image":
            value = node.text(deep=True)
        if value and value.strip():
            return clean(value)
    return ""


class _LinkedData:
    """The schema.org objects of a page's JSON-LD blocks (top level and `@graph`). Blocks
    with JavaScript comments or trailing commas, common on real pages, are read as JSON5;
    a block that is not even that is skipped, as crawlers skip it."""

    def __init__(self, tree: LexborHTMLParser) -> None:
        self.nodes: list[dict[str, Any]] = []
        for script in tree.css('script[type="application/ld+json" i]'):
            text = script.text(deep=True)
            try:
                data = json.loads(text, strict=False)
            except ValueError:
                if len(text) > _MAX_JSON5:  # a pure-Python parser: not for megabytes
                    continue
                try:
                    data = json5.loads(text)
                except (ValueError, RecursionError):
                    continue
            self._add(data)

    def _add(self, data: Any) -> None:
        if isinstance(data, list):
            for item in data:
                self._add(item)
        elif isinstance(data, dict):
            self.nodes.append(data)
            self._add(data.get("@graph"))

    def text(self, key: str) -> str:
        for node in self.nodes:
            value = node.get(key)
            if isinstance(value, str) and value.strip():
                return clean(value)
        return ""

    def name(self) -> str:
        """The name of what the page is about, not of its publisher or breadcrumbs."""
        for skipped in (_NOT_THE_PAGE | {"WebSite"}, _NOT_THE_PAGE):
            for node in self.nodes:
                kinds = node.get("@type")
                kinds = {kinds} if isinstance(kinds, str) else set(kinds or ())
                value = node.get("name")
                if not kinds & skipped and isinstance(value, str) and value.strip():
                    return clean(value)
        return ""

    def image(self) -> str:
        for node in self.nodes:
            value = node.get("image")
            if isinstance(value, list):
                value = value[0] if value else None
            if isinstance(value, dict):
                value = value.get("url") or value.get("contentUrl")
            if isinstance(value, str) and value.strip():
                return clean(value)
        return ""


_NOT_THE_PAGE = frozenset(
    {"Organization", "Person", "BreadcrumbList", "ImageObject", "SearchAction", "ListItem"}
)


def clean(text: str) -> str:
    """Entities decoded (pages that escape twice get decoded twice), spaces collapsed."""
    for _ in range(3):
        if not _ENTITY.search(text):
            break
        text = html.unescape(text)
    return _SPACE.sub(" ", text).strip()


PROVIDER = WebPage
