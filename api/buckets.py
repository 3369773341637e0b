"""Token buckets: `rate` requests per minute per key, with bursts of a quarter of that."""

from __future__ import annotations

from dataclasses import dataclass

MAX_KEYS = 50_000


@dataclass(slots=True)
class Bucket:
    tokens: float
    updated: float


class Limiter:
    """`rate` requests per minute per key, in bursts of up to `burst` (default: a quarter
    of the rate); 0 disables it."""

    def __init__(self, rate: int, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate / 4 if burst is None else burst)
        self.refill = rate / 60.0
        self.buckets: dict[str, Bucket] = {}

    def take(self, key: str, now: float) -> float:
        """0 when allowed, else seconds until the next request would be."""
        if self.rate <= 0:
            return 0.0
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= MAX_KEYS:
                self._prune(now)
            bucket = self.buckets[key] = Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.refill)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.refill

    def _prune(self, now: float) -> None:
        """Forget buckets that have refilled completely (they behave like new ones)."""
        full = self.capacity / self.refill
        self.buckets = {k: b for k, b in self.buckets.items() if now - b.updated < full}
