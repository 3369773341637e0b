"""Gitea and Forgejo (codeberg.org, and instances named in `sync.hosts`): repository,
README, commits and releases from the v1 API."""

from __future__ import annotations

import asyncio
from typing import ClassVar
from urllib.parse import SplitResult, quote, urlencode

from .base import (
    Activities,
    Json,
    Metadata,
    Provider,
    Readme,
    RemoteActivity,
    Target,
    Window,
    first_line,
    readme_note,
)

_RESERVED = frozenset(
    ["-", "admin", "api", "assets", "explore", "notifications", "org", "repo", "user"]
)
_README_NAMES = ("readme.md", "readme.markdown", "readme", "readme.txt")


class Gitea(Provider):
    kind = "gitea"
    hosts: ClassVar[dict[str, str]] = {"codeberg.org": "https://codeberg.org/api/v1"}
    token_env = "GITEA_TOKEN"
    host_concurrency = 8
    """Codeberg is run by a non-profit on modest hardware."""

    @staticmethod
    def auth_headers(token: str) -> dict[str, str]:
        return {"Authorization": f"token {token}"}

    def target(self, url: SplitResult) -> Target | None:
        parts = [p for p in url.path.split("/") if p]
        if len(parts) < 2 or parts[0].lower() in _RESERVED:
            return None
        path = f"{parts[0]}/{parts[1].removesuffix('.git')}"
        return Target(url.geturl(), self.host, path, f"https://{self.host}/{path}")

    async def metadata(self, target: Target) -> Metadata:
        fetched = await self.fetch(f"{self.api}/repos/{quote(target.path)}")
        repo = Json(fetched.json(), fetched.final_url)
        web_url = repo.text("html_url") or target.web_url
        full_name = repo.text("full_name") or target.path
        return Metadata(
            web_url=web_url,
            renamed=fetched.redirected and full_name.lower() != target.path.lower(),
            name=repo.text("name"),
            summary=repo.text("description"),
            webpage_url=repo.text("website"),
            image_url=repo.text("avatar_url") or repo.obj("owner").text("avatar_url"),
            contact_url=f"{web_url}/issues" if repo.flag("has_issues") else "",
            tags=repo.texts("topics"),
            branch=repo.text("default_branch") or "main",
            api_id=full_name,
            not_modified=fetched.not_modified,
        )

    async def readme(self, target: Target, meta: Metadata) -> Readme | None:
        base = f"{self.api}/repos/{quote(meta.api_id)}"
        ref = urlencode({"ref": meta.branch})
        fetched = await self.optional_text(f"{base}/raw/README.md?{ref}", meta)
        if fetched is None:
            listing = await self.optional_json(f"{base}/contents?{ref}", meta)
            names = [i.text("name") for i in listing.items()] if listing else []
            found = [n for n in names if n.lower() in _README_NAMES]
            if not found:
                return None
            name = sorted(found, key=lambda n: _README_NAMES.index(n.lower()))[0]
            fetched = await self.optional_text(f"{base}/raw/{quote(name)}?{ref}", meta)
            if fetched is None:
                return None
        branch = quote(meta.branch)
        return Readme(
            fetched.text(),
            f"{meta.web_url}/src/branch/{branch}/",
            f"{meta.web_url}/raw/branch/{branch}/",
            note=readme_note(fetched, self.http.options.max_body),
        )

    async def activity(
        self, target: Target, meta: Metadata, window: Window
    ) -> list[RemoteActivity]:
        query = {"sha": meta.branch, "limit": "50", "stat": "false", "files": "false"}
        if window.since:
            query["since"] = window.iso(window.since)
        if window.until:
            query["until"] = window.iso(window.until)
        base = f"{self.api}/repos/{quote(meta.api_id)}"
        commits, releases = await asyncio.gather(
            self.listing(f"{base}/commits?{urlencode(query)}", meta, "commits", missing=(404, 409)),
            self.listing(
                f"{base}/releases?limit=50",
                meta,
                "releases",
                older=lambda r: window.before(r.date("published_at") or r.date("created_at")),
            ),
        )
        out = Activities(notes=(commits.note, releases.note))
        for item in commits.items:
            commit = item.obj("commit")
            when = commit.obj("author").date("date") or item.date("created")
            sha = item.text("sha")
            if when is None or not sha:
                continue
            author = item.obj("author").text("login") or commit.obj("author").text("name")
            url = item.text("html_url") or f"{meta.web_url}/commit/{sha}"
            text = first_line(commit.text("message"))
            out.append(RemoteActivity("commit", sha, when, text, url, author))
        for item in releases.items:
            when = item.date("published_at") or item.date("created_at")
            tag = item.text("tag_name")
            if item.flag("draft") or when is None or not tag:
                continue
            name = item.text("name") or tag
            author = item.obj("author").text("login")
            out.append(RemoteActivity("release", tag, when, name, item.text("html_url"), author))
        return out


PROVIDER = Gitea
