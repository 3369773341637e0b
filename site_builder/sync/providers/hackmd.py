"""HackMD, CodiMD and HedgeDoc notes: the Markdown of `<note>/download` is the README (its
YAML front matter removed), `<note>/info` gives the title and description."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import SplitResult

from ..http import FetchError
from .base import Json, Metadata, Provider, Readme, Target
from .huggingface import strip_front_matter

_RESERVED = frozenset(
    [
        "api",
        "auth",
        "build",
        "config",
        "css",
        "docs",
        "features",
        "history",
        "js",
        "login",
        "logout",
        "me",
        "new",
        "register",
        "status",
        "temp",
        "uploads",
        "vendor",
    ]
)


class HackMD(Provider):
    kind = "hackmd"
    hosts: ClassVar[dict[str, str]] = {
        "hackmd.io": "https://hackmd.io",
        "demo.hedgedoc.org": "https://demo.hedgedoc.org",
    }
    needs_api = False

    def target(self, url: SplitResult) -> Target | None:
        parts = [p for p in url.path.split("/") if p]
        if parts and (parts[0] in ("s", "p") or parts[0].startswith("@")):
            parts = parts[:2]
            if len(parts) < 2:
                return None
        else:
            parts = parts[:1]
        if not parts or parts[0].lower() in _RESERVED:
            return None
        path = "/".join(parts)
        return Target(url.geturl(), self.host, path, f"{self.api}/{path}")

    async def metadata(self, target: Target) -> Metadata:
        try:
            fetched = await self.fetch(f"{target.web_url}/info")
        except FetchError as exc:
            if exc.status not in (403, 404):
                raise
            return Metadata(web_url=target.web_url, api_id=target.path)
        if "json" not in fetched.content_type.lower():
            return Metadata(web_url=target.web_url, api_id=target.path)  # a note app without /info
        info = Json(fetched.json(), fetched.final_url)
        return Metadata(
            web_url=target.web_url,
            name=info.text("title"),
            summary=info.text("description"),
            api_id=target.path,
        )

    async def readme(self, target: Target, meta: Metadata) -> Readme | None:
        fetched = await self.fetch(
            f"{target.web_url}/download", meta, accept="text/markdown, text/plain"
        )
        text, _ = strip_front_matter(fetched.text())
        if not text.strip():
            return None
        return Readme(text, f"{self.api}/", f"{self.api}/")


PROVIDER = HackMD
