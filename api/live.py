"""The live activity feed: activities as they are committed, for `/events/{event}/stream`.

Fed by the content writer once a change is on disk (its own saves, and changes others made
that it reloads), never from an edit still in progress. It keeps a bounded backlog so a
client reconnecting with `Last-Event-ID` gets what it missed; activity ids are in time
order, so "missed" is every id after the client's last. At startup the backlog is seeded
with the archive's newest activities, so a reconnect across a restart loses nothing
recent. Activities of hidden projects are never published, and a replay sends what the
archive holds now: not entries deleted or projects hidden since, and edits as edited.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable

from site_builder.model import Activity, Site

log = logging.getLogger("jamdat.live")

BACKLOG = 500
"""Activities kept for reconnecting clients (all events together)."""
STREAMS_PER_ADDRESS = 8
"""Open streams one client address may hold (a few tabs); more are refused with 429."""
HEARTBEAT = 15.0
"""Seconds between keep-alive comments on an idle stream (proxies drop silent ones)."""


class TooManyStreams(Exception):
    """A client address already holds its share of open streams."""


def public(site: Site, activity: Activity) -> bool:
    """Whether the site shows `activity`: announcements, and entries of visible projects."""
    if not activity.project:
        return activity.event in site.events
    project = site.projects.get((activity.event, activity.project))
    return project is not None and not project.is_hidden


class LiveFeed:
    """Committed activities, fanned out to event streams (see the module docstring)."""

    def __init__(
        self,
        backlog: int = BACKLOG,
        per_address: int = STREAMS_PER_ADDRESS,
        heartbeat: float = HEARTBEAT,
    ) -> None:
        self.per_address = per_address
        self.heartbeat = heartbeat
        self._backlog: deque[Activity] = deque(maxlen=backlog)
        self._subscribers: dict[asyncio.Queue[Activity | None], str] = {}
        self._open: Counter[str] = Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def start(self, site: Site) -> None:
        """Seed the backlog from the archive (call on the event loop)."""
        self._loop = asyncio.get_running_loop()
        size = self._backlog.maxlen or 0
        newest = heapq.nlargest(size, site.activities.values(), key=lambda a: a.id)
        self._backlog.extend(a for a in reversed(newest) if public(site, a))

    def committed(self, site: Site, added: list[Activity]) -> None:
        """Activities just committed to `site` (call from any thread: the writer's)."""
        shown = sorted((a for a in added if public(site, a)), key=lambda a: a.id)
        loop = self._loop
        if shown and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._publish, shown)

    def _publish(self, activities: list[Activity]) -> None:
        self._backlog.extend(activities)
        for queue, event in list(self._subscribers.items()):
            for activity in activities:
                if activity.event != event:
                    continue
                try:
                    queue.put_nowait(activity)
                except asyncio.QueueFull:
                    log.warning("a live stream is not reading: closing it")
                    self._subscribers.pop(queue, None)  # its reader ends when it gets here
                    break

    def missed(self, site: Site, event: str, last_id: str) -> list[Activity]:
        """The backlog's activities of `event` after `last_id`, oldest first, as `site`
        (the archive now) has them: deleted ones and those of projects hidden since are
        left out, edited ones sent as edited."""
        current = (site.activities.get(a.id) for a in self._backlog)
        return [
            a
            for a in current
            if a is not None and a.event == event and a.id > last_id and public(site, a)
        ]

    def claim(self, address: str) -> Callable[[], None]:
        """Take one of `address`'s streams (TooManyStreams when it has them all); call what
        this returns when the stream ends."""
        if self._open[address] >= self.per_address:
            raise TooManyStreams(address)
        self._open[address] += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._open[address] -= 1
                if self._open[address] <= 0:
                    del self._open[address]

        return release

    async def follow(
        self, site: Site, event: str, last_id: str = ""
    ) -> AsyncIterator[Activity | None]:
        """What the client missed since `last_id` (as `site`, the archive now, has it), then
        new activities of `event` as they are committed; None when a heartbeat is due.
        Ends when the feed closes."""
        queue: asyncio.Queue[Activity | None] = asyncio.Queue(maxsize=256)
        self._subscribers[queue] = event
        try:
            if last_id:
                for activity in self.missed(site, event, last_id):
                    yield activity
            while not self._closed and queue in self._subscribers:
                try:
                    item = await asyncio.wait_for(queue.get(), self.heartbeat)
                except TimeoutError:
                    yield None
                    continue
                if item is None:
                    return
                yield item
        finally:
            self._subscribers.pop(queue, None)

    def close(self) -> None:
        """End every stream (on shutdown, so that clients do not hold the server up)."""
        self._closed = True
        for queue in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)

    @property
    def streams(self) -> int:
        return len(self._subscribers)
