"""DokuWiki pages: the page's source (`?do=export_raw`) turned into Markdown is the README,
its first heading the title. Wikis are named in `sync.hosts` with `kind: dokuwiki`."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import SplitResult, parse_qsl, urlencode, urlunsplit

from ..http import FetchError, Http
from ..markup import dokuwiki_to_markdown, first_heading
from .base import Metadata, Provider, Readme, Target


class DokuWiki(Provider):
    kind = "dokuwiki"
    hosts: ClassVar[dict[str, str]] = {"dokuwiki.org": "https://www.dokuwiki.org"}
    needs_api = False

    def __init__(self, http: Http, host: str, api_url: str) -> None:
        super().__init__(http, host, api_url)
        self._texts: dict[str, str] = {}
        """Pages fetched for metadata, kept for the README of the same run."""

    def target(self, url: SplitResult) -> Target | None:
        query = [(k, v) for k, v in parse_qsl(url.query) if k != "do"]
        page = dict(query).get("id", "")
        if not page:
            rest = url.path.split("/doku.php", 1)[-1] if "/doku.php" in url.path else url.path
            page = rest.strip("/").replace("/", ":")
        if not page:
            return None
        web = urlunsplit((url.scheme, url.netloc, url.path, urlencode(query), ""))
        return Target(url.geturl(), self.host, page, web)

    def _raw_url(self, target: Target) -> str:
        joiner = "&" if "?" in target.web_url else "?"
        return f"{target.web_url}{joiner}do=export_raw"

    async def metadata(self, target: Target) -> Metadata:
        fetched = await self.fetch(self._raw_url(target), accept="text/plain")
        if "html" in fetched.content_type.lower():
            raise FetchError(
                f"expected the source of the DokuWiki page {target.url} but got an HTML page "
                "(is it a DokuWiki, and may its pages be exported?)",
                target.url,
            )
        text = dokuwiki_to_markdown(fetched.text(), target.web_url)
        self._texts[target.url] = text
        return Metadata(
            web_url=target.web_url,
            name=first_heading(text) or target.path.rsplit(":", 1)[-1],
            api_id=target.path,
            not_modified=fetched.not_modified,
        )

    async def readme(self, target: Target, meta: Metadata) -> Readme | None:
        text = self._texts.pop(target.url, "")
        if not text.strip():
            return None
        return Readme(text, target.web_url, target.web_url)


PROVIDER = DokuWiki
