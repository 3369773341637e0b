"""Per-host politeness: rate-limit budgets read from response headers, and a circuit breaker.

GitHub sends `x-ratelimit-remaining` / `x-ratelimit-reset` (epoch seconds), GitLab
`RateLimit-Remaining` / `RateLimit-Reset`, Hugging Face the IETF draft's
`RateLimit: "api";r=<remaining>;t=<seconds>`; anyone may send `Retry-After`.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

EPOCH_THRESHOLD = 1_000_000_000
"""Reset values above this are epoch seconds (GitHub, GitLab); below, seconds from now."""

_IETF_RE = re.compile(r"(?:^|[;,\s])([rt])\s*=\s*(\d+)")


class Clock:
    """Wall time and sleeping, injectable so tests never wait."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class RateInfo:
    """What one response said about the host's request budget."""

    remaining: int | None = None
    reset_at: float | None = None
    retry_after: float | None = None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header: delta seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def read_rate_headers(headers: httpx.Headers, now: float) -> RateInfo:
    """The budget a response announces, whichever forge's dialect it speaks."""
    remaining = _int(headers.get("x-ratelimit-remaining"))
    reset = _int(headers.get("x-ratelimit-reset"))
    if remaining is None:
        remaining = _int(headers.get("ratelimit-remaining"))
        reset = _int(headers.get("ratelimit-reset"))
    ietf = headers.get("ratelimit")
    if remaining is None and ietf:
        parts = dict(_IETF_RE.findall(ietf))
        remaining = _int(parts.get("r"))
        reset = _int(parts.get("t"))
    reset_at: float | None = None
    if reset is not None:
        reset_at = float(reset) if reset > EPOCH_THRESHOLD else now + reset
    return RateInfo(remaining, reset_at, _retry_after(headers.get("retry-after"), now))


def clock_time(epoch: float) -> str:
    """A reset time as people read it: `14:05 UTC`."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M UTC")


@dataclass(slots=True)
class HostState:
    """What we know about one host during a run: its budget and its recent failures."""

    remaining: int | None = None
    reset_at: float | None = None
    failures: int = 0
    open_until: float = 0.0
    last_error: str = ""
    slow_urls: set[str] = field(default_factory=set)
    """URLs that timed out since the last success: each counts once, however often retried."""

    def note_budget(self, info: RateInfo) -> None:
        """Keep the smallest remaining count of the current window: answers overtake."""
        if info.remaining is None:
            return
        same_window = (
            self.reset_at is not None
            and info.reset_at is not None
            and abs(self.reset_at - info.reset_at) < 2
        )
        if same_window and self.remaining is not None:
            self.remaining = min(self.remaining, info.remaining)
        else:
            self.remaining = info.remaining
        self.reset_at = info.reset_at

    def budget_wait(self, now: float) -> float | None:
        """Seconds until requests may go out again; None when there is budget left.

        `inf` means the budget is used up and no reset time is known."""
        if self.remaining is None or self.remaining > 0:
            return None
        if self.reset_at is None:
            return float("inf")
        if self.reset_at <= now:
            self.remaining = None
            return None
        return self.reset_at - now

    def note_failure(
        self, error: str, now: float, threshold: int, cooldown: float, slow_url: str = ""
    ) -> None:
        """Count a failure of the host in a row; enough of them open the circuit for
        `cooldown`. A `slow_url` (a timeout once connected) counts only the first time: one
        slow repository retried is not a failing host, many slow ones are."""
        self.last_error = error
        if slow_url:
            if slow_url in self.slow_urls:
                return
            self.slow_urls.add(slow_url)
        self.failures += 1
        if self.failures >= threshold:
            self.open_until = now + cooldown

    def note_success(self) -> None:
        self.failures = 0
        self.open_until = 0.0
        self.slow_urls.clear()

    def is_open(self, now: float) -> bool:
        """True while the circuit is open: requests fail at once instead of piling up."""
        return self.open_until > now
