"""Fan-out of events to server-sent-event streams: the rebuild queue's and sync jobs'.

Each stream reads its own bounded queue; a stream that stops reading is dropped rather
than holding the publisher up. Publish on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

log = logging.getLogger("jamdat.events")

T = TypeVar("T")


class Broadcast(Generic[T]):
    """Subscribers each get every event published after they subscribed."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._subscribers: set[asyncio.Queue[T | None]] = set()

    def publish(self, event: T) -> None:
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                log.warning("an event stream is not reading: dropping it")
                self._subscribers.discard(queue)

    def close(self) -> None:
        """End every stream (on shutdown, so clients do not hold connections open)."""
        for queue in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)

    async def stream(
        self, first: Callable[[], list[T]], until: Callable[[T], bool], limit: int | None = None
    ) -> AsyncIterator[T]:
        """`first()` (taken once subscribed, so nothing falls in between), then published
        events until one for which `until` is true, `limit` of them, or `close`."""
        queue: asyncio.Queue[T | None] = asyncio.Queue(maxsize=self.size)
        self._subscribers.add(queue)
        try:
            for event in first():
                yield event
                if until(event):
                    return
            seen = 0
            while limit is None or seen < limit:
                item = await queue.get()
                if item is None:
                    return
                seen += 1
                yield item
                if until(item):
                    return
        finally:
            self._subscribers.discard(queue)
