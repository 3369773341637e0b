"""The one interface every provider implements, and the records it returns.

A provider is a class in its own module under `providers/`, exported as `PROVIDER`:
`target` recognizes its URLs, `metadata`, `readme` and `activity` fetch what a project
page shows. Providers only read; reconciling with `content/` is the engine's job.
"""

from __future__ import annotations

import base64
import binascii
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import KW_ONLY, dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import SplitResult, urljoin, urlsplit

from ..http import Fetched, FetchError, Http


@dataclass(frozen=True, slots=True)
class Target:
    """What a project URL points at on one forge."""

    url: str
    """The URL as written in the project."""
    host: str
    path: str
    """The forge's name for it: `owner/repo`, `group/sub/project`, `datasets/owner/name`."""
    web_url: str
    """Its page on the forge, built from `path`."""


@dataclass(frozen=True, slots=True)
class Metadata:
    """What the forge says about a repository (empty strings when it says nothing)."""

    web_url: str
    """The repository's page now: differs from the project's URL after a rename."""
    renamed: bool = False
    """A redirect led to a different repository URL (renamed or transferred)."""
    name: str = ""
    summary: str = ""
    webpage_url: str = ""
    image_url: str = ""
    contact_url: str = ""
    license: str = ""
    tags: tuple[str, ...] = ()
    branch: str = ""
    api_id: str = ""
    """The forge's id for later calls (GitLab's numeric id, GitHub's `owner/repo`)."""
    readme_path: str = ""
    """Where the README is in the repository, when the forge says so."""
    not_modified: bool = False
    """The forge answered 304: nothing changed since the last sync."""


@dataclass(frozen=True, slots=True)
class Readme:
    """A README as Markdown, with where its relative links and images point."""

    text: str
    link_base: str
    """Absolute URL relative links resolve against: the README's folder in the file view."""
    image_base: str
    """Absolute URL relative images resolve against: the folder's raw files."""
    _: KW_ONLY
    summary: str = ""
    """A summary taken from the README, for a project the forge gives none."""
    note: str = ""
    """Why the text is incomplete (larger than the client reads), for the sync report."""


@dataclass(frozen=True, slots=True)
class RemoteActivity:
    """A commit or a release."""

    kind: str
    """`commit` or `release`."""
    key: str
    """The commit hash or the release tag: what makes it the same activity next time."""
    date: datetime
    text: str
    url: str
    author: str = ""


class Activities(list[RemoteActivity]):
    """What `Provider.activity` returns, with notes on what was left unread."""

    def __init__(self, items: Iterable[RemoteActivity] = (), notes: Iterable[str] = ()) -> None:
        super().__init__(items)
        self.notes = tuple(n for n in notes if n)


@dataclass(frozen=True, slots=True)
class Listing:
    """The items of a paginated answer, and a note when its pages were not all read."""

    items: list[Json]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Window:
    """Which commits count: by default the event's days."""

    since: datetime | None = None
    until: datetime | None = None

    def contains(self, when: datetime) -> bool:
        return (self.since is None or when >= self.since) and (
            self.until is None or when <= self.until
        )

    def before(self, when: datetime | None) -> bool:
        """True when `when` is earlier than the window: older items are not wanted."""
        return when is not None and self.since is not None and when < self.since

    def iso(self, when: datetime | None) -> str:
        return "" if when is None else when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Provider(ABC):
    """One kind of forge. Instances are per host, sharing the run's HTTP client."""

    kind: ClassVar[str]
    """The name used in `site.yaml` (`sync.hosts.<host>.kind`)."""
    hosts: ClassVar[Mapping[str, str]] = {}
    """Well-known hosts of this kind and their API base URLs."""
    token_env: ClassVar[str] = ""
    """Environment variable with a token for the well-known hosts."""
    host_concurrency: ClassVar[int] = 0
    """Most requests in flight to a well-known host; 0 means the global limit."""
    refines: ClassVar[str] = ""
    """A forge kind whose hosts this provider serves for the URLs its `target` claims (a
    GitHub issue on github.com): asked before that forge's own provider."""
    anywhere: ClassVar[bool] = False
    """Recognized by its path on any host (`datapackage.json`, a Dribdat `/project/<id>`):
    asked before the web page provider."""
    needs_api: ClassVar[bool] = True
    """Self-hosted instances name their API base in `sync.hosts`; when False (document
    servers) the host itself answers, at `https://<host>`."""
    gate: ClassVar[bool] = True
    """An unchanged (304) metadata answer means README and activity did not change either,
    so their cached copies are used without asking again."""

    def __init__(self, http: Http, host: str, api_url: str) -> None:
        self.http = http
        self.host = host
        self.api = api_url.rstrip("/")

    @staticmethod
    def auth_headers(token: str) -> dict[str, str]:
        """How this forge wants its token."""
        return {"Authorization": f"Bearer {token}"}

    @abstractmethod
    def target(self, url: SplitResult) -> Target | None:
        """What `url` names on this forge; None when it is no repository page."""

    @abstractmethod
    async def metadata(self, target: Target) -> Metadata:
        """Description, links and image; raises FetchError when the repository is gone."""

    async def readme(self, target: Target, meta: Metadata) -> Readme | None:
        """The README, or None when there is none."""
        return None

    async def activity(
        self, target: Target, meta: Metadata, window: Window
    ) -> list[RemoteActivity]:
        """Commits within `window`, and releases (all of them: the newest is a download)."""
        return []

    # ------------------------------------------------------------ helpers for subclasses

    async def fetch(
        self, url: str, meta: Metadata | None = None, *, accept: str = "application/json"
    ) -> Fetched:
        """GET for a provider: after an unchanged metadata answer, cached copies do."""
        fresh = meta is None or not (self.gate and meta.not_modified)
        return await self.http.get(url, accept=accept, revalidate=fresh)

    async def fetch_json(self, url: str, meta: Metadata | None = None) -> Json:
        fetched = await self.fetch(url, meta)
        return Json(fetched.json(), fetched.final_url)

    async def optional_text(
        self, url: str, meta: Metadata | None = None, *, accept: str = "text/plain"
    ) -> Fetched | None:
        """A text file (a README): None when missing, cut at `max_body` when too large."""
        fresh = meta is None or not (self.gate and meta.not_modified)
        try:
            return await self.http.get(url, accept=accept, revalidate=fresh, cut=True)
        except FetchError as exc:
            if exc.status in (404, 410):
                return None
            raise

    async def listing(
        self,
        url: str,
        meta: Metadata | None,
        what: str,
        *,
        missing: tuple[int, ...] = (404,),
        older: Callable[[Json], bool] | None = None,
    ) -> Listing:
        """Every item of a paginated list, following `next` links up to `max_pages` pages.

        Stops early when `older` holds for a page's last item (newest-first lists whose
        rest would be outside the window). A cut leaves a note naming `what` was cut."""
        items: list[Json] = []
        limit = max(1, self.http.options.max_pages)
        seen = {url}
        for page in range(1, limit + 1):
            try:
                fetched = await self.fetch(url, meta)
            except FetchError as exc:
                if page == 1 and exc.status in missing:
                    return Listing([])
                raise
            found = Json(fetched.json(), fetched.final_url).items()
            items.extend(found)
            url = fetched.next_url
            if not url or url in seen or not found or (older is not None and older(found[-1])):
                return Listing(items)
            seen.add(url)
        note = f"only the first {limit} pages of {what} were read ({len(items)} {what})"
        return Listing(items, note)

    async def optional_json(
        self, url: str, meta: Metadata | None = None, missing: tuple[int, ...] = (404,)
    ) -> Json | None:
        """Like fetch_json, but None when the forge says there is nothing (404 ...)."""
        try:
            return await self.fetch_json(url, meta)
        except FetchError as exc:
            if exc.status in missing:
                return None
            raise


class Json:
    """Typed reads from a JSON answer: a wrong shape is a FetchError naming the field."""

    def __init__(self, value: Any, url: str, where: str = "") -> None:
        self.value = value
        self.url = url
        self.where = where

    def _fail(self, key: str, expected: str) -> FetchError:
        field = f"{self.where}.{key}" if self.where else key
        return FetchError(f"unexpected answer from {self.url}: {field} is not {expected}")

    def _get(self, key: str) -> Any:
        if not isinstance(self.value, dict):
            raise self._fail(key, "in an object")
        return self.value.get(key)

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and self.value.get(key) is not None

    def text(self, key: str) -> str:
        value = self._get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self._fail(key, "text")
        return str(value).strip()

    def number(self, key: str) -> int:
        value = self._get(key)
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(key, "a number")
        return value

    def flag(self, key: str) -> bool:
        value = self._get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self._fail(key, "true or false")
        return value

    def obj(self, key: str) -> Json:
        value = self._get(key)
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise self._fail(key, "an object")
        return Json(value, self.url, f"{self.where}.{key}" if self.where else key)

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fail(key, "a list of text")
        return tuple(value)

    def items(self, key: str | None = None) -> list[Json]:
        value = self.value if key is None else self._get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._fail(key or "answer", "a list")
        where = key or self.where
        return [Json(v, self.url, f"{where}[{i}]") for i, v in enumerate(value)]

    def date(self, key: str) -> datetime | None:
        text = self.text(key)
        if not text:
            return None
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise self._fail(key, "a date") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.astimezone(UTC)

    def base64_bytes(self, key: str) -> bytes:
        try:
            return base64.b64decode(self.text(key), validate=False)
        except (binascii.Error, ValueError):
            raise self._fail(key, "base64") from None


def readme_note(fetched: Fetched, max_body: int) -> str:
    """The note for a README cut because it is larger than the client reads."""
    if not fetched.truncated:
        return ""
    return f"README larger than {max_body // 1_000_000} MB: only its start was read"


def first_line(text: str, limit: int = 200) -> str:
    """The subject of a commit message, cut to a readable length."""
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def folder(url: str) -> str:
    """The folder part of a file URL, with its trailing slash."""
    return url.rsplit("/", 1)[0] + "/"


def absolute_url(base: str, url: str) -> str:
    """`url` resolved against `base` when that gives an http(s) URL, else empty (a broken
    IPv6 host, a bad port, `javascript:`): one bad image link must not fail a project."""
    try:
        joined = urljoin(base, url)
        parts = urlsplit(joined)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return ""
    return joined if parts.scheme in ("http", "https") and parts.hostname else ""
