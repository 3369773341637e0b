"""Google Docs: a document shared by link (its HTML export) or published to the web (its
`/pub` page). The README is the document turned into Markdown; slides and sheets are left
to the web page provider."""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import SplitResult

from selectolax.lexbor import LexborHTMLParser

from ..http import Fetched, FetchError, Http
from ..markup import html_to_markdown
from .base import Metadata, Provider, Readme, Target

_SHARED = re.compile(r"^/document/(?:u/\d+/)?d/([A-Za-z0-9_-]{20,})(?:/|$)")
_PUBLISHED = re.compile(r"^/document/(?:u/\d+/)?d/e/([A-Za-z0-9_-]{20,})(?:/|$)")
_SUFFIX = " - Google Docs"


class GoogleDocs(Provider):
    kind = "googledocs"
    hosts: ClassVar[dict[str, str]] = {"docs.google.com": "https://docs.google.com"}
    needs_api = False

    def __init__(self, http: Http, host: str, api_url: str) -> None:
        super().__init__(http, host, api_url)
        self._pages: dict[str, Fetched] = {}
        """Exports fetched for metadata, kept for the README of the same run."""

    def target(self, url: SplitResult) -> Target | None:
        published = _PUBLISHED.match(url.path)
        if published:
            path = f"document/d/e/{published.group(1)}"
            return Target(url.geturl(), self.host, path, f"{self.api}/{path}/pub")
        shared = _SHARED.match(url.path)
        if shared:
            path = f"document/d/{shared.group(1)}"
            return Target(url.geturl(), self.host, path, f"{self.api}/{path}/edit")
        return None

    def _export_url(self, target: Target) -> str:
        if target.path.startswith("document/d/e/"):
            return f"{self.api}/{target.path}/pub"
        return f"{self.api}/{target.path}/export?format=html"

    async def metadata(self, target: Target) -> Metadata:
        fetched = await self.fetch(self._export_url(target), accept="text/html")
        if "accounts.google.com" in fetched.final_url or "ServiceLogin" in fetched.final_url:
            raise FetchError(
                f"{target.url} is not public: Google asks to sign in (share it as "
                "'anyone with the link' or publish it to the web)",
                target.url,
            )
        if "html" not in fetched.content_type.lower():
            raise FetchError(
                f"expected an HTML export of {target.url} but got {fetched.content_type!r}",
                target.url,
            )
        self._pages[target.url] = fetched
        tree = LexborHTMLParser(fetched.text())
        node = tree.css_first("#title") or tree.css_first("title")
        name = node.text(strip=True).removesuffix(_SUFFIX) if node is not None else ""
        return Metadata(web_url=target.web_url, name=name, not_modified=fetched.not_modified)

    async def readme(self, target: Target, meta: Metadata) -> Readme | None:
        fetched = self._pages.pop(target.url, None)
        if fetched is None:
            fetched = await self.fetch(self._export_url(target), meta, accept="text/html")
        text = html_to_markdown(fetched.text(), fetched.final_url, "#contents")
        return Readme(text, target.web_url, target.web_url) if text.strip() else None


PROVIDER = GoogleDocs
