"""One Markdown file on GitHub (github.com/<owner>/<repo>/blob/<ref>/<path>.md): that file
as the README, the repository's description, links, commits and releases as for GitHub."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import SplitResult, quote

from .base import Metadata, Readme, Target, folder
from .github import GitHub

_MARKDOWN = (".md", ".markdown", ".mdown", ".mkd")


class GitHubFile(GitHub):
    kind = "github-file"
    hosts: ClassVar[dict[str, str]] = {}
    refines = "github"

    def target(self, url: SplitResult) -> Target | None:
        parts = [p for p in url.path.split("/") if p]
        if len(parts) < 5 or parts[2] != "blob" or not parts[-1].lower().endswith(_MARKDOWN):
            return None
        path = "/".join(parts)
        return Target(url.geturl(), self.host, path, f"https://{self.host}/{path}")

    async def metadata(self, target: Target) -> Metadata:
        owner, repo = target.path.split("/")[:2]
        return await super().metadata(repository(target, owner, repo))

    async def readme(self, target: Target, meta: Metadata) -> Readme | None:
        ref, file = blob(target)
        url = f"{self.api}/repos/{quote(meta.api_id)}/contents/{quote(file)}?ref={quote(ref)}"
        doc = await self.optional_json(url, meta)
        if doc is None:
            return None
        text = doc.base64_bytes("content").decode("utf-8", errors="replace")
        html_url = doc.text("html_url") or target.web_url
        raw_url = doc.text("download_url") or html_url.replace("/blob/", "/raw/", 1)
        return Readme(text, folder(html_url), folder(raw_url))


def repository(target: Target, owner: str, repo: str) -> Target:
    """The repository a file or issue URL is in, as the GitHub provider names it."""
    path = f"{owner}/{repo}"
    return Target(target.url, target.host, path, f"https://{target.host}/{path}")


def blob(target: Target) -> tuple[str, str]:
    """The ref and the file path of a `blob/<ref>/<path>` target (a ref with slashes is
    taken as its first part, as GitHub's own short links do)."""
    parts = target.path.split("/")
    return parts[3], "/".join(parts[4:])


PROVIDER = GitHubFile
