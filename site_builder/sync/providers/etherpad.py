"""Etherpad: a pad's plain text (`/p/<pad>/export/txt`) is its README; the pad's name is
its title. Well-known public instances are listed; others go in `sync.hosts` with
`kind: etherpad`."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import SplitResult, quote, unquote

from .base import Metadata, Provider, Readme, Target


class Etherpad(Provider):
    kind = "etherpad"
    hosts: ClassVar[dict[str, str]] = {
        host: f"https://{host}"
        for host in (
            "pad.okfn.de",
            "etherpad.wikimedia.org",
            "pad.riseup.net",
            "pad.systemli.org",
            "yopad.eu",
        )
    }
    needs_api = False

    def target(self, url: SplitResult) -> Target | None:
        parts = [p for p in url.path.split("/") if p]
        if len(parts) < 2 or parts[0] != "p":
            return None
        pad = unquote(parts[1])
        path = f"p/{quote(pad, safe='')}"
        return Target(url.geturl(), self.host, path, f"{self.api}/{path}")

    async def metadata(self, target: Target) -> Metadata:
        pad = unquote(target.path.removeprefix("p/"))
        return Metadata(web_url=target.web_url, name=pad.replace("_", " "), api_id=target.path)

    async def readme(self, target: Target, meta: Metadata) -> Readme | None:
        fetched = await self.fetch(f"{target.web_url}/export/txt", meta, accept="text/plain")
        text = fetched.text()
        if not text.strip():
            return None
        return Readme(text, f"{target.web_url}/", f"{target.web_url}/")


PROVIDER = Etherpad
