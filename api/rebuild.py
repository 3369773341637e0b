"""The rebuild queue: edits settle, then one incremental build; one running, one pending.

After an edit is saved the queue waits until no edit came for `debounce` seconds (but at
most `max_delay` after the first waiting edit), then builds once for all of them. Edits
saved while a build runs make exactly one more build afterwards. Builds run in a worker
process (or thread), so the event loop keeps answering requests. A failed build leaves
the last good site in place and is reported in `latest` and to subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from functools import partial
from typing import Literal

import msgspec
from msgspec import Struct

from .broadcast import Broadcast
from .buildjob import BuildResult, run_build, warm_up, worker_init
from .settings import ApiSettings

log = logging.getLogger("jamdat.rebuild")

Status = Literal["idle", "running", "succeeded", "failed"]
Kind = Literal["status", "build-started", "build-finished", "build-failed"]


class BuildInfo(Struct, kw_only=True):
    """The latest build: what it is doing or did, and whether edits wait for the next."""

    id: int = 0
    status: Status = "idle"
    pending: bool = False
    edits: int = 0
    """Saved edit batches this build includes."""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    seconds: float | None = None
    rendered: int = 0
    written: int = 0
    deleted: int = 0
    summary: str = ""
    error: str = ""


class BuildEvent(Struct, kw_only=True):
    kind: Kind
    build: BuildInfo


def _now() -> datetime:
    return datetime.now(UTC)


class BuildRunner:
    """Runs builds one at a time in a worker process (or a thread)."""

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self._executor: Executor | None = None

    def _pool(self) -> Executor:
        if self._executor is None:
            if self.settings.build_process:
                context = multiprocessing.get_context("spawn")
                self._executor = ProcessPoolExecutor(
                    1, mp_context=context, initializer=worker_init, initargs=(os.getpid(),)
                )
            else:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="jamdat-build")
        return self._executor

    def warm(self) -> None:
        """Start the worker and its build session now, so the first edit does not wait."""
        s = self.settings
        self._pool().submit(warm_up, s.content, s.out, s.base_url, s.jobs)

    async def run(self) -> BuildResult:
        s = self.settings
        job = partial(run_build, s.content, s.out, s.base_url, s.jobs)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool(), job)
        except BrokenProcessPool:
            self._executor = None  # a worker died (killed?): start a fresh one next time
            raise

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


class RebuildQueue:
    """Debounced, coalescing rebuilds with status and events (see the module docstring)."""

    def __init__(
        self,
        build: Callable[[], Awaitable[BuildResult]],
        debounce: float,
        max_delay: float,
        on_finished: Callable[[BuildInfo, str], None] | None = None,
    ) -> None:
        self._build = build
        self._on_finished = on_finished
        self.debounce = debounce
        self.max_delay = max_delay
        self.latest = BuildInfo()
        self.builds = 0
        self._edits = 0
        self._dirty_since: float | None = None
        self._last_edit = 0.0
        self._generation = 0
        self._wake = asyncio.Event()
        self._stopping = False
        self._final = True
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._events: Broadcast[BuildEvent] = Broadcast()
        self._by: set[str] = set()
        """Told about every finished build, with who asked for it (for the history)."""

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run(), name="jamdat-rebuild")

    def notify(self, by: str = "edits") -> None:
        """Content changed: build soon (call on the event loop). `by` is who asked: an
        editor's name, or "edits" for saved edits."""
        self._by.add(by)
        now = time.monotonic()
        if self._dirty_since is None:
            self._dirty_since = now
        self._last_edit = now
        self._edits += 1
        self._generation += 1
        self.latest.pending = True
        self._wake.set()

    def notify_threadsafe(self, _changed: object = None) -> None:
        """Content changed (call from any thread, e.g. the content writer's)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.notify)

    async def stop(self, final_build: bool = True) -> None:
        """Finish the running build; with `final_build`, build once more for waiting edits."""
        self._stopping = True
        self._final = final_build
        self._wake.set()
        if self._task is not None:
            await self._task
        self.close_streams()

    def close_streams(self) -> None:
        """End every event stream (on shutdown, so clients do not hold it open)."""
        self._events.close()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._dirty_since is None:
                if self._stopping:
                    return
                continue
            if not self._stopping:
                await self._settle()
            if self._stopping and not self._final:
                return
            await self._build_once()
            if self._dirty_since is not None:
                self._wake.set()
            elif self._stopping:
                return

    async def _settle(self) -> None:
        """Wait until edits pause for `debounce`, or `max_delay` after the first one."""
        while not self._stopping:
            assert self._dirty_since is not None
            due = min(self._last_edit + self.debounce, self._dirty_since + self.max_delay)
            wait = due - time.monotonic()
            if wait <= 0:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _build_once(self) -> None:
        self.builds += 1
        info = BuildInfo(id=self.builds, status="running", edits=self._edits, started_at=_now())
        generation = self._generation
        by, self._by = ", ".join(sorted(self._by)) or "edits", set()
        self._edits, self._dirty_since = 0, None
        self.latest = info
        self._publish("build-started", info)
        start = time.perf_counter()
        try:
            result = await self._build()
        except Exception as exc:
            log.exception("build %d crashed", info.id)
            result = BuildResult(False, error=f"the build crashed: {exc!r}")
        info.finished_at = _now()
        info.seconds = round(time.perf_counter() - start, 4)
        info.pending = self._dirty_since is not None
        if result.ok:
            info.status = "succeeded"
            info.summary = result.summary
            info.rendered, info.written, info.deleted = (
                result.rendered,
                result.written,
                result.deleted,
            )
            log.info("build %d: %s", info.id, result.summary)
            self._publish("build-finished", info)
        elif result.content_error and self._generation != generation:
            # The build read the archive while an edit was being saved: the build already
            # queued for that edit will see it whole.
            info.status = "succeeded"
            info.summary = "superseded by newer edits"
            log.info("build %d superseded by edits saved while it read the archive", info.id)
            self._publish("build-finished", info)
        else:
            info.status = "failed"
            info.error = result.error
            log.error(
                "build %d failed; the last good site stays online:\n%s", info.id, result.error
            )
            self._publish("build-failed", info)
        if self._on_finished is not None:
            try:
                self._on_finished(msgspec.structs.replace(info), by)
            except Exception:
                log.exception("reporting build %d failed", info.id)

    def _publish(self, kind: Kind, info: BuildInfo) -> None:
        self._events.publish(BuildEvent(kind=kind, build=msgspec.structs.replace(info)))

    async def events(self, limit: int | None = None) -> AsyncIterator[BuildEvent]:
        """The current status, then build events as they happen (`limit` build events)."""
        if self._stopping:
            yield BuildEvent(kind="status", build=self.latest)
            return
        status = BuildEvent(kind="status", build=self.latest)
        async for event in self._events.stream(lambda: [status], lambda _: False, limit):
            yield event
