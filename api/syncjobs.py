"""Sync jobs: the sync engine run in the background for an organiser, one per event.

A job runs `sync.engine.sync_content` on a worker thread with its own event loop, so
the server keeps answering; the engine saves at checkpoints through the archive's
transactions (re-reading and re-applying when an edit landed meanwhile), so edits made
during a sync are kept. Progress goes to the job's record and its event stream; the
finished job queues a rebuild and is written to the history.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import msgspec
from msgspec import Struct

from site_builder.errors import JamdatError
from site_builder.services.history import History, Timer, sync_run
from site_builder.sync.engine import Outcome, SyncOptions, SyncReport, sync_content

from .broadcast import Broadcast

log = logging.getLogger("jamdat.sync")

Status = Literal["running", "succeeded", "failed"]
Kind = Literal["status", "progress", "finished", "failed"]
KEEP_FINISHED = 100


class ProjectOutcome(Struct, kw_only=True):
    """How one project's sync went: updated, unchanged, not-modified or failed."""

    event: str
    slug: str
    url: str
    status: str
    reason: str = ""
    changes: list[str] = msgspec.field(default_factory=list)


class SyncJob(Struct, kw_only=True):
    """A sync started from the API: what it covers, how far it is, how it went."""

    id: str
    kind: Literal["sync"] = "sync"
    event: str
    project: str = ""
    """One project's slug, or empty for the whole event."""
    status: Status = "running"
    by: str
    started_at: datetime
    finished_at: datetime | None = None
    seconds: float | None = None
    done: int = 0
    total: int | None = None
    """Projects to sync, known once the engine has picked them."""
    outcomes: list[ProjectOutcome] = msgspec.field(default_factory=list)
    written: int = 0
    """Content files the sync wrote."""
    summary: str = ""
    error: str = ""


class Progress(Struct, kw_only=True):
    """One project finished: `done` of `total`."""

    done: int
    total: int | None
    project: ProjectOutcome


class JobEvent(Struct, kw_only=True):
    kind: Kind
    data: SyncJob | Progress


class Busy(Exception):
    """Another sync of the event runs and does not cover this request."""

    def __init__(self, job: SyncJob) -> None:
        self.job = job
        what = f"project {job.project!r}" if job.project else "the whole event"
        super().__init__(
            f"a sync of {what} in event {job.event!r} is running (job {job.id}); "
            "wait for it to finish, then start this one"
        )


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _outcome(o: Outcome) -> ProjectOutcome:
    return ProjectOutcome(
        event=o.event,
        slug=o.slug,
        url=o.url,
        status=o.status,
        reason=o.reason,
        changes=list(o.changes),
    )


class _Reporter:
    """The engine's progress protocol, called on the sync thread: hands over to the loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, jobs: SyncJobs, job: SyncJob) -> None:
        self.loop, self.jobs, self.job = loop, jobs, job

    def start(self, total: int) -> None:
        self.loop.call_soon_threadsafe(self.jobs._started, self.job, total)

    def done(self, outcome: Outcome) -> None:
        self.loop.call_soon_threadsafe(self.jobs._progress, self.job, _outcome(outcome))


class SyncJobs:
    """The server's sync jobs: at most one running per event, the last finished kept."""

    def __init__(
        self,
        content: Path,
        history: History,
        on_changed: Callable[[str], None] | None = None,
    ) -> None:
        self.content = content
        self.history = history
        self.on_changed = on_changed
        """Called on the loop with the job's starter when a sync wrote content."""
        self._jobs: OrderedDict[str, SyncJob] = OrderedDict()
        self._running: dict[str, SyncJob] = {}
        self._events: dict[str, Broadcast[JobEvent]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def get(self, job_id: str) -> SyncJob | None:
        return self._jobs.get(job_id)

    def start(self, event: str, project: str, by: str) -> tuple[SyncJob, bool]:
        """Start a sync of the event (or one of its projects); call on the loop. When one
        runs already and covers this request, that job is returned (and False)."""
        running = self._running.get(event)
        if running is not None:
            if not running.project or running.project == project:
                return running, False
            raise Busy(running)
        job = SyncJob(
            id=secrets.token_hex(6), event=event, project=project, by=by, started_at=_now()
        )
        self._jobs[job.id] = job
        self._running[event] = job
        self._events[job.id] = Broadcast()
        self._forget_old()
        task = asyncio.get_running_loop().create_task(self._run(job), name=f"sync-{job.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job, True

    async def wait(self) -> None:
        """Let running syncs finish (on shutdown: what they fetched lands whole)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def close_streams(self) -> None:
        for events in self._events.values():
            events.close()

    async def stream(self, job: SyncJob) -> AsyncIterator[JobEvent]:
        """The job as it is now, then each project as it finishes, then the outcome."""
        events = self._events.get(job.id, Broadcast())

        def first() -> list[JobEvent]:
            if job.status == "running":
                return [JobEvent(kind="status", data=_copy(job))]
            return [JobEvent(kind="finished" if job.status == "succeeded" else "failed", data=job)]

        async for event in events.stream(first, lambda e: e.kind in ("finished", "failed")):
            yield event

    # ------------------------------------------------------------ on the loop

    def _started(self, job: SyncJob, total: int) -> None:
        job.total = total

    def _progress(self, job: SyncJob, outcome: ProjectOutcome) -> None:
        job.outcomes.append(outcome)
        job.done = len(job.outcomes)
        event = Progress(done=job.done, total=job.total, project=outcome)
        self._events[job.id].publish(JobEvent(kind="progress", data=event))

    async def _run(self, job: SyncJob) -> None:
        loop = asyncio.get_running_loop()
        reporter = _Reporter(loop, self, job)
        try:
            report, error = await asyncio.to_thread(self._sync, job, reporter)
        except Exception as exc:  # the thread itself failed: still end the job
            log.exception("sync job %s crashed", job.id)
            report, error = None, f"the sync crashed: {exc!r}"
        await asyncio.sleep(0)  # progress handed over by the thread comes first
        job.finished_at = _now()
        job.seconds = round((job.finished_at - job.started_at).total_seconds(), 1)
        if report is not None:
            job.status = "succeeded"
            job.seconds = round(report.seconds, 3)
            job.summary = report.summary()
            job.written = len(report.written)
            job.outcomes = [_outcome(o) for o in report.outcomes]
            job.done = len(job.outcomes)
        else:
            job.status = "failed"
            job.error = error
        del self._running[job.event]
        kind: Kind = "finished" if job.status == "succeeded" else "failed"
        self._events[job.id].publish(JobEvent(kind=kind, data=job))
        if job.written and self.on_changed is not None:
            self.on_changed(job.by)
        log.info("sync job %s (%s): %s", job.id, job.event, job.summary or job.error)

    def _sync(self, job: SyncJob, reporter: _Reporter) -> tuple[SyncReport | None, str]:
        """On the worker thread: run the engine, record the run in the history."""
        timer = Timer("sync", job.by)
        scope = f"{job.event}/{job.project}" if job.project else job.event
        options = SyncOptions(event=job.event, project=scope if job.project else "")
        try:
            report = asyncio.run(sync_content(self.content, options, progress=reporter))
        except JamdatError as exc:
            self.history.record(timer.run("failed", scope=scope, error=str(exc)))
            return None, str(exc)
        summary = report.summary()
        self.history.record(sync_run(timer, scope, report.outcomes, summary, len(report.written)))
        return report, ""

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.status != "running"]
        for key in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[key]
            self._events.pop(key, None)


def _copy(job: SyncJob) -> SyncJob:
    return msgspec.structs.replace(job, outcomes=list(job.outcomes))
