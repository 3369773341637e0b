"""What the app's handlers share: the settings, the content writer, tokens, rebuilds,
metrics and the notifier of chat webhooks."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from litestar.datastructures import State
from litestar.di import NamedDependency

from site_builder.access.db import AccessDb
from site_builder.access.invites import InviteStore
from site_builder.access.links import SigninLinks
from site_builder.access.oauth import OAuthStore
from site_builder.access.sessions import SessionStore
from site_builder.metrics import Metrics
from site_builder.model import Site
from site_builder.notify import Notifier, resolve
from site_builder.services.common import Outcome
from site_builder.services.history import History, Timer
from site_builder.services.quotas import PostQuota
from site_builder.services.writer import ContentWriter, Op
from site_builder.tokens import TokenStore

from . import report
from .buckets import Limiter
from .live import LiveFeed
from .rebuild import BuildInfo, BuildRunner, RebuildQueue
from .reveal import Reveals
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
    access: AccessDb
    invites: InviteStore
    sessions: SessionStore
    join_limits: tuple[Limiter, Limiter]
    """Join attempts per client address and per invite."""
    history: History
    syncs: SyncJobs
    oauth: OAuthStore
    """OAuth states, pending sign-ups and identity links."""
    links: SigninLinks
    signin_limit: Limiter
    """Sign-in attempts per client address."""
    metrics: Metrics = field(default_factory=Metrics)
    """Prometheus counters of this app (`/metrics`); builds and syncs record here too."""
    notifier: Notifier = field(default_factory=Notifier)
    """Chat webhooks of `site.yaml`'s `notify:` (set up at start): `notifier.send(Event)`."""
    live: LiveFeed = field(default_factory=LiveFeed)
    reveals: Reveals = field(default_factory=Reveals)
    """Secrets a page shows once after a redirect (a new invite's join link)."""
    rebuilds: RebuildQueue | None = None
    loop: asyncio.AbstractEventLoop | None = None
    started: bool = field(default=False)

    @classmethod
    def create(cls, settings: ApiSettings) -> ApiContext:
        writer = ContentWriter(settings.content, git=settings.git)
        tokens = TokenStore.of(settings.content)  # first: it moves tokens of old versions
        access = AccessDb.of(settings.content)
        history = History.of(settings.content)
        ctx = cls(
            settings,
            tokens,
            writer,
            BuildRunner(settings),
            PostQuota(settings.quotas),
            access,
            InviteStore(access),
            SessionStore(access, timedelta(days=settings.session_days)),
            (
                Limiter(settings.join_per_address, burst=settings.join_per_address),
                Limiter(settings.join_per_invite, burst=settings.join_per_invite),
            ),
            history,
            SyncJobs(settings.content, history),
            OAuthStore(access),
            SigninLinks(access),
            Limiter(settings.signin_per_address, burst=settings.signin_per_address),
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

    async def apply(self, op: Op, kind: str = "") -> Outcome:
        """Queue an edit on the writer thread and wait until it is on disk (or refused).
        Counted in the metrics by `kind` (default: the function that made `op`); a new
        project or announcement is sent to the webhooks."""
        kind = kind or report.op_kind(op)
        try:
            outcome = await asyncio.wrap_future(self.writer.submit(op))
        except BaseException as exc:
            self.metrics.edit(kind, report.edit_outcome(None, exc))
            raise
        self.metrics.edit(kind, report.edit_outcome(outcome, None))
        if outcome.created and self.notifier.hooks:
            note = report.created(outcome, self.site())
            if note is not None:
                self.notifier.send(note)
        return outcome

    def _build_done(self, info: BuildInfo, by: str) -> None:
        """A build finished: count it, tell the webhooks if it failed, keep it in the history."""
        report.record_build(info, self.metrics, self.notifier, self.site().config)
        self._built(info, by)

    async def startup(self) -> None:
        """Load the archive (refusing to start on broken content) and start the workers."""
        self.loop = asyncio.get_running_loop()
        site = await asyncio.to_thread(self.writer.site)
        self.notifier = Notifier(resolve(site.config.notify), **self.settings.notify_options)
        self.notifier.start()
        self.live.start(site)
        self.writer.on_added = self.live.committed
        if self.settings.build:
            rebuilds = RebuildQueue(
                self.runner.run,
                self.settings.debounce,
                self.settings.max_delay,
                on_finished=self._build_done,
            )
            rebuilds.start()
            self.writer.on_saved = rebuilds.notify_threadsafe
            self.rebuilds = rebuilds
            self.runner.warm()
        self.writer.start()
        self.started = True
        log.info("editing %s, site in %s", self.settings.content, self.settings.out)

    def begin_shutdown(self) -> None:
        """The server is going down: end event streams so connections can close."""
        self.live.close()
        if self.rebuilds is not None:
            self.rebuilds.close_streams()
        self.syncs.close_streams()

    async def shutdown(self) -> None:
        """Finish queued edits, then the running build (and one for edits still waiting)."""
        self.live.close()
        await self.syncs.wait()
        await asyncio.to_thread(self.writer.close)
        if self.rebuilds is not None:
            await self.rebuilds.stop(final_build=True)
        await asyncio.to_thread(self.runner.close)
        await asyncio.to_thread(self.notifier.close)
        self.tokens.close()
        self.access.close()
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
