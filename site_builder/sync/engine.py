"""Run a sync: pick the projects, fetch them concurrently, reconcile, save at checkpoints.

Fetching never touches `content/`. Results are reconciled into the Site model as they
arrive and saved through the store every few seconds and at the end; a project whose
fetch failed is not touched at all. Before each save the content is reloaded if anyone
else wrote to it meanwhile, and every result so far is applied again (reconciling is
idempotent), so edits made during a sync are kept. Every write is atomic, so an
interrupted sync leaves the content as of its last checkpoint.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx

from .. import archive
from ..archive import txn
from ..errors import JamdatError
from ..model import Project, Site
from .cache import HttpCache
from .http import FetchError, Http, HttpOptions
from .limits import Clock
from .providers import Router, host_access, routes
from .providers.base import Activities, Provider, Target, Window
from .reconcile import Logs, Remote, event_window, reconcile, refused
from .settings import SyncConfig

CACHE_FILE = "sync-cache.sqlite"
STATUSES = ("updated", "unchanged", "not-modified", "failed")


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """What the user asked for on the command line."""

    event: str = ""
    project: str = ""
    """A project slug, or `event/slug`."""
    dry_run: bool = False
    concurrency: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one project's sync went."""

    event: str
    slug: str
    url: str
    status: str
    """One of STATUSES."""
    reason: str = ""
    changes: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    """Fields whose fetched text could not be decoded, so were not stored."""
    notes: tuple[str, ...] = ()
    """What was left unread: pages beyond `sync.max_pages`, the rest of a huge README."""

    @property
    def name(self) -> str:
        return f"{self.event}/{self.slug}"

    def line(self, dry_run: bool = False) -> str:
        status = "would update" if dry_run and self.status == "updated" else self.status
        detail = self.reason if self.status == "failed" else ", ".join(self.changes)
        if self.refused:
            note = f"not stored, undecodable text (U+FFFD): {', '.join(self.refused)}"
            detail = f"{detail}; {note}" if detail else note
        if self.notes and self.status != "failed":
            detail = "; ".join([detail, *self.notes] if detail else self.notes)
        return f"{status:<13} {self.name}" + (f": {detail}" if detail else "")


class Progress(Protocol):
    """Told how many projects there are, then about each as it finishes."""

    def start(self, total: int) -> None: ...

    def done(self, outcome: Outcome) -> None: ...


@dataclass(slots=True)
class SyncReport:
    """The outcome of a run, for the summary and the exit status."""

    outcomes: list[Outcome] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    requests: int = 0
    not_modified_answers: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def summary(self, list_failures: bool = True) -> str:
        """Counts, then (unless already shown line by line) each failure with its reason."""
        counts = ", ".join(f"{self.count(s)} {s}" for s in STATUSES)
        lines = [
            f"synced {len(self.outcomes)} project(s) in {self.seconds:.1f} s: {counts} "
            f"({self.requests} requests, {self.not_modified_answers} answered 304)"
        ]
        if self.dry_run:
            lines.append("dry run: nothing was written to the content")
        else:
            lines.append(f"{len(self.written)} file(s) written")
        if self.failed and list_failures:
            lines.append("failed:")
            lines.extend(f"  {o.name} ({o.url}): {o.reason}" for o in self.failed)
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class _Job:
    project: Project
    url: str
    provider: Provider
    target: Target
    window: Window


def _select(site: Site, options: SyncOptions, content: Path) -> list[Project]:
    projects = sorted(site.projects.values(), key=lambda p: p.key)
    if options.event:
        if options.event not in site.events:
            raise JamdatError(f"no event {options.event!r} in {content / 'data/events.csv'}")
        projects = [p for p in projects if p.event == options.event]
    if options.project:
        event, _, slug = options.project.rpartition("/")
        projects = [p for p in projects if p.slug == slug and (not event or p.event == event)]
        if not projects:
            raise JamdatError(
                f"no project {options.project!r} in {content / 'data/projects.csv'}"
                + (f" (event {options.event!r})" if options.event else "")
            )
    return projects


class _Run:
    """One sync run's state: the Site being reconciled and what is still unsaved."""

    def __init__(
        self,
        content: Path,
        work: archive.Checkout,
        options: SyncOptions,
        clock: Clock,
        cache: HttpCache | None,
        progress: Progress | None,
        checkpoint_every: float,
    ) -> None:
        self.content = content
        self.site = work.site
        self.read = work.read
        """What the archive was when loaded or last saved: a save states it."""
        self.config: SyncConfig = self.site.config.sync
        self.options = options
        self.clock = clock
        self.cache = cache
        self.progress = progress
        self.checkpoint_every = checkpoint_every
        self.report = SyncReport(dry_run=options.dry_run)
        self.applied: list[Remote] = []
        self.logs = Logs(self.site)
        self.dirty = False
        self.last_save = time.monotonic()

    def jobs(self, router: Router) -> list[_Job]:
        """Projects with something to sync; malformed URLs fail here, without a request."""
        selected = _select(self.site, self.options, self.content)
        windows: dict[str, Window] = {}
        jobs: list[_Job] = []
        for project in selected:
            url = project.autotext_url.strip()
            source = project.source_url.strip()
            if not url and source and router.forge_for(source) is not None:
                url = source
            if not url:
                continue
            if project.event not in windows:
                windows[project.event] = event_window(
                    self.site.events[project.event],
                    self.site.config.timezone,
                    self.config.only_within_event_dates,
                )
            try:
                provider, target = router.resolve(url)
            except FetchError as exc:
                failed = Outcome(project.event, project.slug, url, "failed", exc.reason)
                self.report.outcomes.append(failed)
                continue
            jobs.append(_Job(project, url, provider, target, windows[project.event]))
        if self.options.project and not jobs and not self.report.outcomes:
            raise JamdatError(
                f"project {self.options.project!r} has no autotext_url, nor a source_url "
                "that a provider recognizes: nothing to sync"
            )
        return jobs

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), UTC).replace(microsecond=0)

    async def fetch(self, job: _Job) -> Outcome:
        """Fetch one project and reconcile it; a FetchError fails only this project."""
        project = job.project
        try:
            meta = await job.provider.metadata(job.target)
            results = await asyncio.gather(
                job.provider.readme(job.target, meta),
                job.provider.activity(job.target, meta, job.window),
                return_exceptions=True,
            )
            for result in results:
                if isinstance(result, BaseException):
                    raise result
            readme, activities = results
            assert not isinstance(readme, BaseException)
            assert isinstance(activities, list)
        except FetchError as exc:
            return Outcome(project.event, project.slug, job.url, "failed", exc.reason)
        except Exception as exc:
            reason = f"unexpected {type(exc).__name__} reading {job.url}: {exc}"
            return Outcome(project.event, project.slug, job.url, "failed", reason)
        remote = Remote(
            key=project.key,
            url=job.url,
            target=job.target,
            forge=job.provider.kind != "web",
            meta=meta,
            readme=readme,
            activities=tuple(activities),
            fetched_at=self.now(),
            window=job.window,
        )
        notes: tuple[str, ...] = (readme.note,) if readme is not None and readme.note else ()
        if isinstance(activities, Activities):
            notes += activities.notes
        changes = reconcile(self.site, remote, self.config.always_sync, self.logs)
        self.applied.append(remote)
        if changes:
            self.dirty = True
            status = "updated"
        else:
            status = "not-modified" if meta.not_modified else "unchanged"
        garbled = tuple(refused(remote))
        return Outcome(
            project.event, project.slug, job.url, status, "", tuple(changes), garbled, notes
        )

    def finish(self, outcome: Outcome) -> None:
        self.report.outcomes.append(outcome)
        if self.progress is not None:
            self.progress.done(outcome)

    def checkpoint(self, final: bool = False) -> None:
        """Save what changed (reloading first if someone else wrote), then the cache."""
        if not final and time.monotonic() - self.last_save < self.checkpoint_every:
            return
        self.last_save = time.monotonic()
        if self.dirty and not self.options.dry_run:
            saved = self._save()
            self.report.written = list(dict.fromkeys([*self.report.written, *saved.changed]))
            self.read = saved.read
            self.dirty = False
        if self.cache is not None:
            self.cache.flush()

    def _save(self, attempts: int = 3) -> archive.Saved:
        """Save what was synced; when another writer committed since the archive was read,
        read it again and apply every remote fetched so far to it (fill-only, so nothing
        the other writer changed is overwritten), the last time holding the lock."""
        for attempt in range(1, attempts + 1):
            with txn.last_attempt(self.content, attempt == attempts):
                if attempt > 1:
                    work = archive.checkout(self.content)
                    self.logs = Logs(work.site)
                    for remote in self.applied:
                        reconcile(work.site, remote, self.config.always_sync, self.logs)
                    self.site, self.read = work.site, work.read
                try:
                    return archive.commit(self.content, self.site, read=self.read)
                except archive.Conflict:
                    if attempt == attempts:
                        raise
        raise AssertionError("unreachable")


async def sync_content(
    content: Path,
    options: SyncOptions | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock | None = None,
    env: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    http_options: HttpOptions | None = None,
    checkpoint_every: float = 5.0,
) -> SyncReport:
    """Sync the projects of the archive in `content`; see the module docstring."""
    options = options or SyncOptions()
    clock = clock or Clock()
    started = time.monotonic()
    work = archive.checkout(content)
    site = work.site
    config = site.config.sync
    table = routes(config, str(content / "site.yaml"))
    if http_options is None:
        http_options = HttpOptions(
            concurrency=options.concurrency or config.concurrency,
            timeout=config.timeout,
            attempts=config.attempts,
            max_wait=config.max_wait,
            max_pages=config.max_pages,
        )
    elif options.concurrency:
        http_options = replace(http_options, concurrency=options.concurrency)
    cache = HttpCache(archive.state_dir(content) / CACHE_FILE, read_only=options.dry_run)
    run = _Run(content, work, options, clock, cache, progress, checkpoint_every)
    access = host_access(table, os.environ if env is None else env)
    try:
        async with Http(
            http_options, cache=cache, access=access, transport=transport, clock=clock
        ) as http:
            jobs = run.jobs(Router(http, table))
            if progress is not None:
                progress.start(len(jobs) + len(run.report.outcomes))
                for outcome in run.report.outcomes:
                    progress.done(outcome)
            queue: asyncio.Queue[_Job] = asyncio.Queue()
            for job in jobs:
                queue.put_nowait(job)

            async def worker() -> None:
                while not queue.empty():
                    job = queue.get_nowait()
                    run.finish(await run.fetch(job))
                    run.checkpoint()

            workers = max(1, min(len(jobs), http_options.concurrency))
            await asyncio.gather(*(worker() for _ in range(workers)))
            run.checkpoint(final=True)
            run.report.requests = http.requests
            run.report.not_modified_answers = http.not_modified
    finally:
        cache.close()
    order = {p.key: i for i, p in enumerate(sorted(site.projects.values(), key=lambda p: p.key))}
    run.report.outcomes.sort(key=lambda o: order.get((o.event, o.slug), 0))
    run.report.seconds = time.monotonic() - started
    return run.report


def run_sync(
    content: Path, options: SyncOptions | None = None, progress: Progress | None = None
) -> SyncReport:
    """`sync_content` for callers without an event loop (the CLI)."""
    return asyncio.run(sync_content(content, options, progress=progress))
