"""GitHub (github.com, or GitHub Enterprise through `sync.hosts`): repository, README,
commits and releases from the REST API."""

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
    folder,
    readme_note,
)

_RESERVED = frozenset(
    [
        "about",
        "apps",
        "collections",
        "enterprise",
        "events",
        "explore",
        "features",
        "login",
        "marketplace",
        "new",
        "notifications",
        "orgs",
        "organizations",
        "pricing",
        "pulls",
        "search",
        "settings",
        "sponsors",
        "topics",
        "trending",
        "users",
    ]
)


class GitHub(Provider):
    kind = "github"
    hosts: ClassVar[dict[str, str]] = {"github.com": "https://api.github.com"}
    token_env = "GITHUB_TOKEN"

    def target(self, url: SplitResult) -> Target | None:
        parts = [p for p in url.path.split("/") if p]
        if len(parts) < 2 or parts[0].lower() in _RESERVED:
            return None
        owner, repo = parts[0], parts[1].removesuffix(".git")
        if not repo:
            return None
        path = f"{owner}/{repo}"
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
            webpage_url=repo.text("homepage"),
            image_url=repo.obj("owner").text("avatar_url"),
            contact_url=f"{web_url}/issues" if repo.flag("has_issues") else "",
            license=repo.obj("license").text("spdx_id").replace("NOASSERTION", ""),
            tags=repo.texts("topics"),
            branch=repo.text("default_branch"),
            api_id=full_name,
            not_modified=fetched.not_modified,
        )

    async def readme(self, target: Target, meta: Metadata) -> Readme | None:
        doc = await self.optional_json(f"{self.api}/repos/{quote(meta.api_id)}/readme", meta)
        if doc is None:
            return None
        html_url = doc.text("html_url") or f"{meta.web_url}/blob/{meta.branch}/README.md"
        raw_url = doc.text("download_url") or html_url.replace("/blob/", "/raw/", 1)
        note = ""
        if doc.text("encoding") == "none" and doc.number("size") > 0:
            # Over 1 MB the API leaves `content` empty: the file itself is read instead.
            raw = await self.optional_text(raw_url, meta)
            if raw is None:
                return None
            body = raw.body
            note = readme_note(raw, self.http.options.max_body)
        else:
            body = doc.base64_bytes("content")
        text = body.decode("utf-8", errors="replace")
        return Readme(text, folder(html_url), folder(raw_url), note=note)

    async def activity(
        self, target: Target, meta: Metadata, window: Window
    ) -> list[RemoteActivity]:
        query = {"per_page": "100"}
        if window.since:
            query["since"] = window.iso(window.since)
        if window.until:
            query["until"] = window.iso(window.until)
        base = f"{self.api}/repos/{quote(meta.api_id)}"
        commits, releases = await asyncio.gather(
            self.listing(f"{base}/commits?{urlencode(query)}", meta, "commits", missing=(404, 409)),
            self.listing(
                f"{base}/releases?per_page=100",
                meta,
                "releases",
                older=lambda r: window.before(r.date("published_at") or r.date("created_at")),
            ),
        )
        out = Activities(notes=(commits.note, releases.note))
        for item in commits.items:
            commit = item.obj("commit")
            when = commit.obj("author").date("date") or commit.obj("committer").date("date")
            sha = item.text("sha")
            if when is None or not sha:
                continue
            author = item.obj("author").text("login") or commit.obj("author").text("name")
            url = item.text("html_url") or f"{meta.web_url}/commit/{sha}"
            out.append(
                RemoteActivity("commit", sha, when, first_line(commit.text("message")), url, author)
            )
        for item in releases.items:
            when = item.date("published_at") or item.date("created_at")
            tag = item.text("tag_name")
            if item.flag("draft") or when is None or not tag:
                continue
            out.append(
                RemoteActivity(
                    "release",
                    tag,
                    when,
                    item.text("name") or tag,
                    item.text("html_url"),
                    item.obj("author").text("login"),
                )
            )
        return out


PROVIDER = GitHub
