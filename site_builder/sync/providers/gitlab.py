"""GitLab (gitlab.com, and self-hosted instances named in `sync.hosts`): project, README,
commits and releases from the v4 API."""

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
    absolute_url,
    first_line,
    readme_note,
)

_RESERVED = frozenset(
    ["-", "admin", "api", "dashboard", "explore", "groups", "help", "search", "users"]
)


class GitLab(Provider):
    kind = "gitlab"
    hosts: ClassVar[dict[str, str]] = {"gitlab.com": "https://gitlab.com/api/v4"}
    token_env = "GITLAB_TOKEN"
    gate = False
    """GitLab updates `last_activity_at` at most hourly, so its 304 proves nothing."""

    @staticmethod
    def auth_headers(token: str) -> dict[str, str]:
        return {"PRIVATE-TOKEN": token}

    def target(self, url: SplitResult) -> Target | None:
        parts: list[str] = []
        for part in url.path.split("/"):
            if part == "-":
                break
            if part:
                parts.append(part)
        if len(parts) < 2 or parts[0].lower() in _RESERVED:
            return None
        parts[-1] = parts[-1].removesuffix(".git")
        path = "/".join(parts)
        return Target(url.geturl(), self.host, path, f"https://{self.host}/{path}")

    async def metadata(self, target: Target) -> Metadata:
        fetched = await self.fetch(f"{self.api}/projects/{quote(target.path, safe='')}")
        project = Json(fetched.json(), fetched.final_url)
        web_url = project.text("web_url") or target.web_url
        path = project.text("path_with_namespace") or target.path
        avatar = project.text("avatar_url")
        issues = project.flag("issues_enabled") or project.text("issues_access_level") == "enabled"
        readme_url = project.text("readme_url")
        branch = project.text("default_branch")
        return Metadata(
            web_url=web_url,
            renamed=fetched.redirected and path.lower() != target.path.lower(),
            name=project.text("name"),
            summary=project.text("description"),
            image_url=absolute_url(web_url, avatar) if avatar else "",
            contact_url=f"{web_url}/-/issues" if issues else "",
            license=project.obj("license").text("key"),
            tags=project.texts("topics") or project.texts("tag_list"),
            branch=branch,
            api_id=str(project.number("id") or path),
            not_modified=fetched.not_modified,
            readme_path=_readme_path(readme_url, branch),
        )

    async def readme(self, target: Target, meta: Metadata) -> Readme | None:
        if not meta.readme_path:
            return None
        file = quote(meta.readme_path, safe="")
        url = (
            f"{self.api}/projects/{quote(meta.api_id, safe='')}/repository/files/{file}/raw?"
            + urlencode({"ref": meta.branch})
        )
        fetched = await self.optional_text(url, meta)
        if fetched is None:
            return None
        folder = meta.readme_path.rpartition("/")[0]
        folder = f"{folder}/" if folder else ""
        return Readme(
            fetched.text(),
            f"{meta.web_url}/-/blob/{meta.branch}/{folder}",
            f"{meta.web_url}/-/raw/{meta.branch}/{folder}",
            note=readme_note(fetched, self.http.options.max_body),
        )

    async def activity(
        self, target: Target, meta: Metadata, window: Window
    ) -> list[RemoteActivity]:
        query = {"per_page": "100"}
        if window.since:
            query["since"] = window.iso(window.since)
        if window.until:
            query["until"] = window.iso(window.until)
        base = f"{self.api}/projects/{quote(meta.api_id, safe='')}"
        commits, releases = await asyncio.gather(
            self.listing(f"{base}/repository/commits?{urlencode(query)}", meta, "commits"),
            self.listing(
                f"{base}/releases?per_page=100",
                meta,
                "releases",
                missing=(403, 404),
                older=lambda r: window.before(r.date("released_at") or r.date("created_at")),
            ),
        )
        out = Activities(notes=(commits.note, releases.note))
        for item in commits.items:
            when = item.date("authored_date") or item.date("committed_date")
            sha = item.text("id")
            if when is None or not sha:
                continue
            url = item.text("web_url") or f"{meta.web_url}/-/commit/{sha}"
            text = first_line(item.text("title") or item.text("message"))
            out.append(RemoteActivity("commit", sha, when, text, url, item.text("author_name")))
        for item in releases.items:
            when = item.date("released_at") or item.date("created_at")
            tag = item.text("tag_name")
            if when is None or not tag:
                continue
            url = item.obj("_links").text("self") or f"{meta.web_url}/-/releases/{tag}"
            author = item.obj("author").text("username")
            out.append(RemoteActivity("release", tag, when, item.text("name") or tag, url, author))
        return out


def _readme_path(readme_url: str, branch: str) -> str:
    """`docs/README.md` from `https://host/group/project/-/blob/main/docs/README.md`."""
    marker = f"/-/blob/{branch}/" if branch else "/-/blob/"
    if marker not in readme_url:
        return ""
    rest = readme_url.split(marker, 1)[1]
    return rest if branch else rest.partition("/")[2]


PROVIDER = GitLab
