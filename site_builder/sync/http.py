"""The one HTTP client of sync: polite, cached and hard to fool.

One `httpx.AsyncClient` for every provider, with a global and a per-host concurrency
limit, timeouts, retries with exponential backoff and jitter on 5xx answers and
connection errors, `Retry-After` and rate-limit headers honoured (wait when the reset is
near, stop the host cleanly when it is not), a per-host circuit breaker, redirects
followed by hand (loops caught, the final URL recorded) and conditional requests from
the sqlite cache. Tokens are attached per request, only for their own host and only
over https, and appear in no message.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import httpx

from .. import __version__
from .cache import CachedResponse, HttpCache
from .charset import REPLACEMENT, decode
from .limits import Clock, HostState, RateInfo, clock_time, read_rate_headers
from .pool import ShardedTransport

USER_AGENT = f"jamdat/{__version__} (static hackathon archives; sync)"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
GATEWAY_ERRORS = frozenset({502, 503, 504})
MISSING = frozenset({404, 409, 410})
"""Answers that mean "there is nothing here" (409: GitHub's empty repository)."""


class FetchError(Exception):
    """A request that failed for good; `reason` is what the user reads."""

    def __init__(self, reason: str, url: str = "", status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.url = url
        self.status = status


class RateLimited(FetchError):
    """The host's request budget is used up and will not come back soon enough."""


class _Transient(FetchError):
    """Trouble worth another try: timeouts, refused or broken connections."""

    def __init__(self, reason: str, url: str = "", slow: bool = False) -> None:
        super().__init__(reason, url)
        self.slow = slow
        """The host answered the connection but this request took too long: that may be
        one big repository, so retries of it count once towards the breaker."""


@dataclass(frozen=True, slots=True)
class HostAccess:
    """How requests to one API host (`host[:port]`) are made."""

    headers: Mapping[str, str] = field(default_factory=dict)
    """Authentication headers; empty without a token."""

    token_env: str = ""
    """Where a token for this host would come from, for hints in error messages."""

    concurrency: int = 0
    """Most requests in flight to this host; 0 means the global limit."""


@dataclass(frozen=True, slots=True)
class HttpOptions:
    """Limits and timings of the client; tests shrink the waits to nothing."""

    concurrency: int = 32
    timeout: float = 15.0
    attempts: int = 3
    backoff: float = 0.5
    """First retry delay in seconds, doubled per attempt, with up to half of it as jitter."""
    backoff_cap: float = 8.0
    max_wait: float = 60.0
    breaker_threshold: int = 3
    breaker_cooldown: float = 60.0
    max_redirects: int = 5
    max_body: int = 8_000_000
    max_pages: int = 10
    """Most pages of one listing (commits, releases) a provider reads."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """A successful answer (2xx, or a 304 backed by the cache)."""

    url: str
    final_url: str
    body: bytes
    content_type: str
    not_modified: bool = False
    """The server answered 304, or the cached copy was used without asking."""
    redirected: bool = False
    next_url: str = ""
    """The next page of a listing (`Link: rel="next"`, GitLab's `X-Next-Page`)."""
    truncated: bool = False
    """The body was larger than `max_body` and was cut at a line break within it."""

    def text(self, *, html: bool = False) -> str:
        """The body as text, in the encoding its BOM, header or (`html`) `<meta>` names,
        else the one charset-normalizer finds."""
        text = decode(self.body, self.content_type, html=html)
        # A body cut at a byte limit may end inside a character (UTF-16, a line without
        # a break): that half character is the cut's, not undecodable text of the page.
        return text.rstrip(REPLACEMENT) if self.truncated else text

    def json(self) -> Any:
        """The body as JSON; an HTML page or broken JSON is a FetchError with a reason."""
        head = self.body[:200].lstrip().lower()
        if "html" in self.content_type.lower() or head.startswith((b"<!doctype", b"<html")):
            raise FetchError(
                f"expected JSON from {self.final_url} but got an HTML page", self.final_url
            )
        try:
            return json.loads(self.body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FetchError(
                f"malformed JSON from {self.final_url} ({exc}; {len(self.body)} bytes)",
                self.final_url,
            ) from None


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes
    truncated: bool = False


def netloc(url: str) -> str:
    """`host[:port]` of a URL, lowercased: the unit of limits, breakers and tokens."""
    return urlsplit(url).netloc.lower().rsplit("@", 1)[-1]


def next_page(headers: httpx.Headers, url: str) -> str:
    """The URL of the next page of a listing: `Link: <...>; rel="next"` (GitHub, Gitea,
    GitLab), else GitLab's `X-Next-Page` number put into `url`'s `page` parameter."""
    link = httpx.Response(200, headers=headers).links.get("next", {}).get("url", "")
    if link:
        return urljoin(url, link)
    number = headers.get("x-next-page", "").strip()
    if not number.isdigit():
        return ""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    return parts._replace(query=urlencode([*query, ("page", number)])).geturl()


def check_url(url: str) -> None:
    """Raise a FetchError unless `url` is an http(s) URL a request can be sent to.

    Catches what would otherwise escape as a ValueError deep inside urllib or httpx: a
    bad port, a broken IPv6 literal, an invalid IDNA label (`xn--`), lone surrogates."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
        httpx.Request("GET", url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise FetchError(f"malformed URL {url!r} ({exc})", url) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"not an http(s) URL: {url!r}", url)


class Http:
    """Shared async client; use as `async with Http(...) as http`."""

    def __init__(
        self,
        options: HttpOptions | None = None,
        *,
        cache: HttpCache | None = None,
        access: Mapping[str, HostAccess] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.options = options or HttpOptions()
        self.cache = cache
        self.access = {k.lower(): v for k, v in (access or {}).items()}
        self.clock = clock or Clock()
        self.rng = rng or random.Random()
        self.requests = 0
        """Requests sent (each retry and redirect hop counts)."""
        self.not_modified = 0
        """Answers that were `304 Not Modified`."""
        self._global = asyncio.Semaphore(self.options.concurrency)
        self._hosts: dict[str, HostState] = {}
        self._host_limits: dict[str, asyncio.Semaphore] = {}
        timeout = httpx.Timeout(self.options.timeout, connect=min(self.options.timeout, 10.0))
        self._client = httpx.AsyncClient(
            transport=transport or ShardedTransport(self.options.concurrency),
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
            trust_env=transport is None,  # proxies from the environment, never in tests
        )

    async def __aenter__(self) -> Http:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    def host_state(self, url: str) -> HostState:
        return self._hosts.setdefault(netloc(url), HostState())

    def _limit(self, host: str) -> asyncio.Semaphore:
        if host not in self._host_limits:
            access = self.access.get(host)
            size = access.concurrency if access and access.concurrency else 0
            self._host_limits[host] = asyncio.Semaphore(size or self.options.concurrency)
        return self._host_limits[host]

    # ------------------------------------------------------------------ public

    async def get(
        self,
        url: str,
        *,
        accept: str = "application/json",
        revalidate: bool = True,
        cut: bool = False,
    ) -> Fetched:
        """GET `url` following redirects; conditional when the cache knows it.

        With `revalidate=False` a cached copy is returned without asking the server. With
        `cut=True` a body over `max_body` is cut (`truncated`) instead of failing: for texts
        whose start is worth having, like a README. Raises FetchError for anything but a
        2xx or a cache-backed 304. (Cheap checks only: httpx's own objection to a URL
        surfaces as a FetchError when it is sent.)"""
        try:
            scheme, host = urlsplit(url).scheme, netloc(url)
        except ValueError as exc:
            raise FetchError(f"malformed URL {url!r} ({exc})", url) from None
        if scheme not in ("http", "https") or not host:
            raise FetchError(f"not an http(s) URL: {url!r}", url)
        cached = self.cache.get(url) if self.cache else None
        if cached is not None and not revalidate:
            if cached.status != 200:
                raise self._status_error(cached.final_url, cached.status)
            return Fetched(
                url,
                cached.final_url,
                cached.body,
                cached.content_type,
                True,
                next_url=cached.next_url,
            )
        seen = [url]
        current = url
        for _hop in range(self.options.max_redirects + 1):
            entry = self.cache.get(current) if self.cache else None
            if entry is not None and entry.status != 200:
                entry = None
            headers = {"Accept": accept, **(entry.conditional_headers() if entry else {})}
            answer = await self._send(current, headers, cut)
            if answer.status in REDIRECTS:
                location = answer.headers.get("location")
                if not location:
                    raise FetchError(f"redirect without a Location from {current}", current)
                target = self._redirect_target(current, location)
                if target in seen:
                    chain = " -> ".join([*seen, target])
                    raise FetchError(f"redirect loop: {chain}", url)
                seen.append(target)
                current = target
                continue
            redirected = len(seen) > 1
            if answer.status == 304:
                self.not_modified += 1
                if entry is None:
                    raise FetchError(f"304 Not Modified from {current} without a cached copy")
                following = next_page(answer.headers, current) or entry.next_url
                return Fetched(
                    url, current, entry.body, entry.content_type, True, redirected, following
                )
            if 200 <= answer.status < 300:
                content_type = answer.headers.get("content-type", "")
                following = next_page(answer.headers, current)
                if not answer.truncated:
                    self._remember(answer, content_type, current, seen, following)
                return Fetched(
                    url,
                    current,
                    answer.body,
                    content_type,
                    False,
                    redirected,
                    following,
                    answer.truncated,
                )
            if answer.status in MISSING:
                self._remember_missing(answer.status, current, seen)
            raise self._status_error(current, answer.status)
        raise FetchError(
            f"more than {self.options.max_redirects} redirects from {url} (last: {current})",
            url,
        )

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _redirect_target(current: str, location: str) -> str:
        """The absolute URL a `Location` header points to; a FetchError when it is unusable."""
        try:
            target = urljoin(current, location.strip())
            scheme = urlsplit(target).scheme
        except ValueError as exc:
            reason = f"redirect to a malformed URL from {current}: {location!r} ({exc})"
            raise FetchError(reason, current) from None
        if scheme not in ("http", "https"):
            raise FetchError(f"redirect to a non-http URL from {current}", current)
        try:
            check_url(target)
        except FetchError as exc:
            raise FetchError(f"redirect to a {exc.reason} from {current}", current) from None
        return target

    def _remember(
        self, answer: _Answer, content_type: str, final: str, seen: list[str], next_url: str
    ) -> None:
        if self.cache is None:
            return
        for url in {seen[0], final}:
            self.cache.put(
                CachedResponse(
                    url,
                    answer.headers.get("etag", "") if url == final else "",
                    answer.headers.get("last-modified", "") if url == final else "",
                    content_type,
                    final,
                    answer.body,
                    next_url=next_url,
                )
            )

    def _remember_missing(self, status: int, final: str, seen: list[str]) -> None:
        """Remember a 404 too: after an unchanged metadata answer it is still missing."""
        if self.cache is None:
            return
        for url in {seen[0], final}:
            self.cache.put(CachedResponse(url, "", "", "", final, b"", status))

    def _status_error(self, url: str, status: int) -> FetchError:
        host = netloc(url)
        if status == 404:
            reason = f"404 Not Found: {url} (private, renamed without a redirect, or deleted)"
        elif status == 410:
            reason = f"410 Gone: {url}"
        elif status in (401, 403):
            reason = f"{status} {'Unauthorized' if status == 401 else 'Forbidden'}: {url}"
            access = self.access.get(host)
            if access and access.token_env and not access.headers:
                reason += f" (no {access.token_env} set)"
            elif access and access.headers and urlsplit(url).scheme != "https":
                reason += f" ({access.token_env or 'the token'} is never sent over plain http)"
        else:
            reason = f"HTTP {status} from {url}"
        return FetchError(reason, url, status)

    def _budget_error(self, host: str, wait: float, state: HostState) -> RateLimited:
        if wait == float("inf") or state.reset_at is None:
            when = "no reset time given"
        else:
            when = f"resets at {clock_time(state.reset_at)}, in {int(wait // 60) + 1} min"
        reason = f"rate limit of {host} used up ({when}); stopped asking it"
        access = self.access.get(host)
        if access and access.token_env and not access.headers:
            reason += f"; set {access.token_env} for a higher limit"
        return RateLimited(reason)

    async def _wait_for_budget(self, host: str, state: HostState) -> None:
        """Sleep until the budget resets when that is soon; raise when it is not."""
        wait = state.budget_wait(self.clock.now())
        if wait is None:
            return
        if wait > self.options.max_wait:
            raise self._budget_error(host, wait, state)
        await self.clock.sleep(wait)
        state.remaining = None

    async def _backoff(self, attempt: int, hint: float | None) -> None:
        if hint is not None and hint <= self.options.max_wait:
            await self.clock.sleep(hint)
            return
        delay = min(self.options.backoff_cap, self.options.backoff * 2 ** (attempt - 1))
        await self.clock.sleep(delay / 2 + self.rng.uniform(0, delay / 2))

    async def _send(self, url: str, headers: dict[str, str], cut: bool = False) -> _Answer:
        """One request with retries, rate limits and the breaker; any final status."""
        host = netloc(url)
        state = self.host_state(url)
        access = self.access.get(host)
        if access is not None and urlsplit(url).scheme == "https":
            headers = {**headers, **access.headers}
        attempts = max(1, self.options.attempts)
        problem = ""
        for attempt in range(1, attempts + 1):
            if state.is_open(self.clock.now()):
                raise FetchError(
                    f"{host} is not answering ({state.failures} failures in a row, last: "
                    f"{state.last_error}); skipped",
                    url,
                )
            await self._wait_for_budget(host, state)
            try:
                answer = await self._request(url, headers, host, cut)
            except _Transient as exc:
                problem = exc.reason
                state.note_failure(
                    problem,
                    self.clock.now(),
                    self.options.breaker_threshold,
                    self.options.breaker_cooldown,
                    slow_url=url if exc.slow else "",
                )
                if attempt < attempts:
                    await self._backoff(attempt, None)
                continue
            info = read_rate_headers(answer.headers, self.clock.now())
            state.note_budget(info)
            if self._is_rate_limited(answer, info):
                wait = info.retry_after
                if wait is None and info.reset_at is not None:
                    wait = max(0.0, info.reset_at - self.clock.now())
                if wait is None or wait > self.options.max_wait or attempt == attempts:
                    state.remaining = 0
                    if info.reset_at is None and wait is not None:
                        state.reset_at = self.clock.now() + wait
                    raise self._budget_error(
                        host, wait if wait is not None else float("inf"), state
                    )
                await self.clock.sleep(wait)
                state.remaining = None
                continue
            if answer.status >= 500:
                problem = f"HTTP {answer.status}"
                if answer.status in GATEWAY_ERRORS:
                    state.note_failure(
                        problem,
                        self.clock.now(),
                        self.options.breaker_threshold,
                        self.options.breaker_cooldown,
                    )
                if attempt < attempts:
                    await self._backoff(attempt, info.retry_after)
                    continue
                raise FetchError(
                    f"HTTP {answer.status} from {url} after {attempt} attempts", url, answer.status
                )
            state.note_success()
            return answer
        raise FetchError(f"{problem}, {attempts} attempts: {url}", url)

    @staticmethod
    def _is_rate_limited(answer: _Answer, info: RateInfo) -> bool:
        if answer.status == 429:
            return True
        return answer.status == 403 and (info.remaining == 0 or info.retry_after is not None)

    async def _request(
        self, url: str, headers: dict[str, str], host: str, cut: bool = False
    ) -> _Answer:
        """Send once and read the body within the limits (cut at the last line break within
        them when `cut`); transport trouble is a FetchError."""
        limit = self.options.max_body
        truncated = False
        try:
            request = self._client.build_request("GET", url, headers=headers)
        except (httpx.InvalidURL, ValueError) as exc:
            raise FetchError(f"malformed URL {url!r} ({exc})", url) from None
        async with self._global, self._limit(host):
            self.requests += 1
            try:
                async with asyncio.timeout(self.options.timeout * 2):
                    response = await self._client.send(request, stream=True)
                    try:
                        chunks: list[bytes] = []
                        size = 0
                        async for chunk in response.aiter_bytes():
                            size += len(chunk)
                            if size > limit and cut:
                                chunks.append(chunk[: len(chunk) - (size - limit)])
                                truncated = True
                                break
                            if size > limit:
                                raise FetchError(
                                    f"answer from {url} is larger than {limit // 1_000_000} MB",
                                    url,
                                )
                            chunks.append(chunk)
                        raw = response.num_bytes_downloaded
                    finally:
                        await response.aclose()
            except httpx.ConnectTimeout:
                reason = f"cannot connect within {min(self.options.timeout, 10.0):g} s"
                raise _Transient(reason, url) from None
            except (TimeoutError, httpx.TimeoutException):
                reason = f"timed out after {self.options.timeout:g} s"
                raise _Transient(reason, url, slow=True) from None
            except httpx.RemoteProtocolError as exc:
                raise _Transient(f"connection broke off ({exc})", url) from None
            except httpx.DecodingError as exc:
                raise FetchError(f"undecodable answer from {url} ({exc})", url) from None
            except httpx.TransportError as exc:
                raise _Transient(f"cannot connect ({exc or type(exc).__name__})", url) from None
            except ValueError as exc:  # e.g. a Location httpx cannot parse (a bad IDNA host)
                raise FetchError(f"unusable answer from {url} ({exc})", url) from None
        body = b"".join(chunks)
        if truncated:
            line_end = body.rfind(b"\n")
            return _Answer(
                response.status_code,
                response.headers,
                body[: line_end + 1] if line_end > 0 else body,
                truncated=True,
            )
        expected = response.headers.get("content-length")
        encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
        if not encoded:
            raw = len(body)
        if expected and expected.isdigit() and raw < int(expected):
            raise _Transient(f"truncated answer ({raw} of {expected} bytes)", url)
        return _Answer(response.status_code, response.headers, body)
