"""A `.git` URL on a host Jamdat does not know: read through the host's own forge API,
found by asking (Gitea/Forgejo's `/api/v1`, then GitLab's `/api/v4`). A bare git server
has no such API, and reading a repository over git's own protocol would mean packfiles
and a git implementation at run time, so such a URL is a failure that says so."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from ..http import FetchError, Http
from .base import Metadata, Provider, Readme, RemoteActivity, Target, Window
from .gitea import Gitea
from .gitlab import GitLab

_FORGES: tuple[tuple[type[Provider], str], ...] = ((Gitea, "/api/v1"), (GitLab, "/api/v4"))
_NOT_THIS_FORGE = (None, 401, 403, 404, 405, 410)


class GitUrl(Provider):
    kind = "git"
    anywhere = True

    def __init__(self, http: Http, host: str, api_url: str) -> None:
        super().__init__(http, host, api_url)
        self._found: dict[str, tuple[Provider, Target]] = {}

    def target(self, url: SplitResult) -> Target | None:
        path = url.path.strip("/")
        if not path.endswith(".git") or "/" not in path or not url.hostname:
            return None
        name = path.removesuffix(".git")
        return Target(url.geturl(), url.hostname, name, f"{url.scheme}://{url.netloc}/{name}")

    async def metadata(self, target: Target) -> Metadata:
        parts = urlsplit(target.url)
        reasons: list[str] = []
        for cls, api in _FORGES:
            forge = cls(self.http, self.host, f"{parts.scheme}://{parts.netloc}{api}")
            forge_target = forge.target(parts)
            if forge_target is None:
                continue
            try:
                meta = await forge.metadata(forge_target)
            except FetchError as exc:
                if exc.status not in _NOT_THIS_FORGE:
                    raise
                reasons.append(f"{cls.kind}: {exc.reason}")
                continue
            self._found[target.url] = (forge, forge_target)
            return meta
        raise FetchError(
            f"{target.url} is a git repository on a host with no Gitea, Forgejo or GitLab "
            f"API ({'; '.join(reasons)}); reading it would need git itself",
            target.url,
        )

    def _forge(self, target: Target) -> tuple[Provider, Target]:
        found = self._found.get(target.url)
        if found is None:
            raise FetchError(f"{target.url}: metadata must be read first", target.url)
        return found

    async def readme(self, target: Target, meta: Metadata) -> Readme | None:
        forge, forge_target = self._forge(target)
        return await forge.readme(forge_target, meta)

    async def activity(
        self, target: Target, meta: Metadata, window: Window
    ) -> list[RemoteActivity]:
        forge, forge_target = self._forge(target)
        return await forge.activity(forge_target, meta, window)


PROVIDER = GitUrl
