"""A GitHub issue (github.com/<owner>/<repo>/issues/<n>): its title as the summary, its
body as the README and its comments as activities; the repository's links and image."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar
from urllib.parse import SplitResult, quote

from .base import Json, Metadata, Readme, RemoteActivity, Target, Window, first_line
from .github import GitHub
from .github_file import repository


class GitHubIssue(GitHub):
    kind = "github-issue"
    hosts: ClassVar[dict[str, str]] = {}
    refines = "github"

    def target(self, url: SplitResult) -> Target | None:
        parts = [p for p in url.path.split("/") if p]
        if len(parts) < 4 or parts[2] != "issues" or not parts[3].isdigit():
            return None
        path = "/".join(parts[:4])
        return Target(url.geturl(), self.host, path, f"https://{self.host}/{path}")

    def _issue_url(self, target: Target, meta: Metadata | None = None) -> str:
        owner, repo, _, number = target.path.split("/")
        full_name = meta.api_id if meta else f"{owner}/{repo}"
        return f"{self.api}/repos/{quote(full_name)}/issues/{number}"

    async def _issue(
        self, target: Target, meta: Metadata, *, fresh: bool = False
    ) -> tuple[Json, bool]:
        fetched = await self.fetch(self._issue_url(target, meta), None if fresh else meta)
        return Json(fetched.json(), fetched.final_url), fetched.not_modified

    async def metadata(self, target: Target) -> Metadata:
        owner, repo = target.path.split("/")[:2]
        repo_meta = await super().metadata(repository(target, owner, repo))
        issue, not_modified = await self._issue(target, repo_meta, fresh=True)
        title = issue.text("title")
        return replace(
            repo_meta,
            web_url=issue.text("html_url") or target.web_url,
            renamed=False,
            name=title or repo_meta.name,
            summary=title or repo_meta.summary,
            contact_url=issue.text("html_url") or target.web_url,
            tags=tuple(label.text("name") for label in issue.items("labels")) or repo_meta.tags,
            not_modified=repo_meta.not_modified and not_modified,
        )

    async def readme(self, target: Target, meta: Metadata) -> Readme | None:
        issue, _ = await self._issue(target, meta)
        body = issue.text("body")
        if not body:
            return None
        base = f"https://{self.host}/{meta.api_id}/blob/{meta.branch or 'HEAD'}/"
        return Readme(body, base, base.replace("/blob/", "/raw/", 1))

    async def activity(
        self, target: Target, meta: Metadata, window: Window
    ) -> list[RemoteActivity]:
        comments = await self.optional_json(
            f"{self._issue_url(target, meta)}/comments?per_page=100", meta
        )
        out: list[RemoteActivity] = []
        for item in comments.items() if comments else []:
            when = item.date("created_at")
            key = item.text("id")
            if when is None or not key:
                continue
            url = item.text("html_url") or f"{meta.web_url}#issuecomment-{key}"
            text = first_line(item.text("body")) or "Commented"
            author = item.obj("user").text("login")
            out.append(RemoteActivity("comment", key, when, text, url, author))
        return out


PROVIDER = GitHubIssue
