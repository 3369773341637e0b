"""GitHub Gists (gist.github.com/<user>/<id>): the description, the first Markdown file as
README and the revisions as commits, from the same REST API and token as GitHub."""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import SplitResult, quote

from ..http import FetchError
from .base import Json, Metadata, Provider, Readme, RemoteActivity, Target, Window, folder
from .github import GitHub

_ID = re.compile(r"[0-9a-fA-F]+")
_MARKDOWN = (".md", ".markdown", ".mdown", ".mkd")


class Gist(Provider):
    kind = "gist"
    hosts: ClassVar[dict[str, str]] = {"gist.github.com": GitHub.hosts["github.com"]}
    token_env = GitHub.token_env
    auth_headers = staticmethod(GitHub.auth_headers)

    def target(self, url: SplitResult) -> Target | None:
        parts = [p for p in url.path.split("/") if p]
        if not parts or len(parts) > 2:
            return None
        gist_id = parts[-1].removesuffix(".git")
        if not _ID.fullmatch(gist_id):
            return None
        web = f"https://{self.host}/{'/'.join([*parts[:-1], gist_id])}"
        return Target(url.geturl(), self.host, gist_id, web)

    async def _gist(self, target: Target, meta: Metadata | None = None) -> tuple[Json, bool]:
        fetched = await self.fetch(f"{self.api}/gists/{quote(target.path)}", meta)
        return Json(fetched.json(), fetched.final_url), fetched.not_modified

    async def metadata(self, target: Target) -> Metadata:
        gist, not_modified = await self._gist(target)
        files = list(gist.obj("files").value)
        owner = gist.obj("owner") if gist.has("owner") else gist.obj("user")
        return Metadata(
            web_url=gist.text("html_url") or target.web_url,
            name=gist.text("description") or (files[0] if files else target.path),
            summary=gist.text("description"),
            image_url=owner.text("avatar_url"),
            api_id=gist.text("id") or target.path,
            readme_path=next((f for f in files if f.lower().endswith(_MARKDOWN)), ""),
            not_modified=not_modified,
        )

    async def readme(self, target: Target, meta: Metadata) -> Readme | None:
        gist, _ = await self._gist(target, meta)
        name = meta.readme_path
        files = gist.obj("files")
        if not name or not files.has(name):
            for key in files.value:
                if files.obj(key).text("language").lower() == "markdown":
                    name = key
                    break
            else:
                return None
        entry = files.obj(name)
        raw_url = entry.text("raw_url")
        if entry.has("content") and not entry.flag("truncated"):
            text = entry.value["content"] if isinstance(entry.value["content"], str) else ""
        elif raw_url:
            raw = await self.fetch(raw_url, meta, accept="text/plain, text/markdown, */*")
            text = raw.text()
        else:
            raise FetchError(f"unexpected answer from {gist.url}: files.{name} has no content")
        return Readme(text, meta.web_url + "/", folder(raw_url) if raw_url else meta.web_url + "/")

    async def activity(
        self, target: Target, meta: Metadata, window: Window
    ) -> list[RemoteActivity]:
        gist, _ = await self._gist(target, meta)
        out: list[RemoteActivity] = []
        for item in gist.items("history"):
            when = item.date("committed_at")
            version = item.text("version")
            if when is None or not version:
                continue
            out.append(
                RemoteActivity(
                    "commit",
                    version,
                    when,
                    "Revised the gist",
                    f"{meta.web_url}/{version}",
                    item.obj("user").text("login"),
                )
            )
        return out


PROVIDER = Gist
