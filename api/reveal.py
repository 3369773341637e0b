"""Secrets shown once after a redirect: a form post that creates one (an invite's join
link) keeps it here for the browser that made it, and the page it redirects to takes it
out, so a reload neither creates another nor shows it again, and no URL carries it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

TTL_SECONDS = 600.0
"""How long an unclaimed secret waits for its page (then it is dropped)."""


@dataclass
class Reveals:
    """In-memory, per app: (owner, key) -> secret, each readable once. Used from the
    event loop only (the console's handlers are not run in threads)."""

    ttl: float = TTL_SECONDS
    _items: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)

    def put(self, owner: str, key: str, secret: str) -> None:
        now = time.monotonic()
        for item, (_, until) in list(self._items.items()):
            if until <= now:
                del self._items[item]
        self._items[(owner, key)] = (secret, now + self.ttl)

    def take(self, owner: str, key: str) -> str | None:
        """The secret kept for `owner` under `key`, once; None if taken, expired or
        kept for someone else."""
        found = self._items.pop((owner, key), None)
        if found is None or found[1] <= time.monotonic():
            return None
        return found[0]
