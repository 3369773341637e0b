"""What the app's handlers share: the settings, the content writer, tokens and rebuilds."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from litestar.datastructures import State
from litestar.di import NamedDependency

from site_builder.model import Site
from site_builder.services.common import Outcome
from site_builder.services.history import History, Timer
from site_builder.services.quotas import PostQuota
from site_builder.services.writer import ContentWriter, Op
from site_builder.tokens import TokenStore

from .rebuild import BuildInfo, BuildRunner, RebuildQueue
from .settings import ApiSettings
from .syncjobs import SyncJobs

log = logging.getLogger("jamdat.api")

STATE_KEY = "jamdat"


@dataclass(slots=True)
class ApiContext:
    """One per app: created by the factory, started and stopped with the app."""

    settings: ApiSettings
    tokens: TokenStore
    writer: ContentWriter
    runner: BuildRunner
    posts: PostQuota
    history: History
    syncs: SyncJobs
    rebuilds: RebuildQueue | None = None
    loop: asyncio.AbstractEventLoop | None = None
    started: bool = field(default=False)

    @classmethod
    def create(cls, settings: ApiSettings) -> ApiContext:
        writer = ContentWriter(settings.content, git=settings.git)
        history = History.of(settings.content)
        ctx = cls(
            settings,
            TokenStore.of(settings.content),
            writer,
            BuildRunner(settings),
            PostQuota(settings.quotas),
            history,
            SyncJobs(settings.content, history),
        )
        ctx.syncs.on_changed = ctx._synced
        return ctx

    def _synced(self, by: str) -> None:
        """A sync job wrote content: rebuild (the writer also notices on its next check)."""
        if self.rebuilds is not None:
            self.rebuilds.notify(by)

    def _built(self, info: BuildInfo, by: str) -> None:
        """Write a finished build to the history, off the event loop."""
        timer = Timer("build", by, started_at=info.started_at or info.finished_at or _utcnow())
        run = timer.run(
            "succeeded" if info.status == "succeeded" else "failed",
            summary=info.summary,
            written=info.written,
            removed=info.deleted,
            error=info.error,
        )
        run = dataclasses.replace(run, seconds=info.seconds or run.seconds)
        assert self.loop is not None
        self.loop.run_in_executor(None, self.history.record, run)

    def site(self) -> Site:
        """The archive as last saved (what reads answer from)."""
        return self.writer.site()

    async def apply(self, op: Op) -> Outcome:
        """Queue an edit on the writer thread and wait until it is on disk (or refused)."""
        return await asyncio.wrap_future(self.writer.submit(op))

    async def startup(self) -> None:
        """Load the archive (refusing to start on broken content) and start the workers."""
        self.loop = asyncio.get_running_loop()
        await asyncio.to_thread(self.writer.site)
        if self.settings.build:
            rebuilds = RebuildQueue(
                self.runner.run, self.settings.debounce, self.settings.max_delay
            )
            rebuilds.on_finished = self._built
            rebuilds.start()
            self.writer.on_saved = rebuilds.notify_threadsafe
            self.rebuilds = rebuilds
            self.runner.warm()
        self.writer.start()
        self.started = True
        log.info("editing %s, site in %s", self.settings.content, self.settings.out)

    def begin_shutdown(self) -> None:
        """The server is going down: end event streams so connections can close."""
        if self.rebuilds is not None:
            self.rebuilds.close_streams()
        self.syncs.close_streams()

    async def shutdown(self) -> None:
        """Finish queued edits, then the running build (and one for edits still waiting)."""
        await self.syncs.wait()
        await asyncio.to_thread(self.writer.close)
        if self.rebuilds is not None:
            await self.rebuilds.stop(final_build=True)
        await asyncio.to_thread(self.runner.close)
        self.tokens.close()
        log.info("stopped: every accepted edit is on disk")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def context_of(state: State) -> ApiContext:
    """Dependency provider: the app's context."""
    ctx = state[STATE_KEY]
    assert isinstance(ctx, ApiContext)
    return ctx


Ctx = NamedDependency[ApiContext]
"""How handlers ask for the context (a parameter named `ctx`)."""
