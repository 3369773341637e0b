"""The content writer: applies edits one batch at a time, saves them through the store.

Edits from any number of threads or requests are queued; one thread takes every edit
waiting, applies them in order to a copy of the archive (each checks its own ETag, so a
stale one is refused and the others go on), saves the copy once (one transaction,
only changed files written) and only then publishes it to readers and
answers the editors. Group commit keeps the write latency flat under load: fifty
concurrent edits cost one save, not fifty.

The archive on disk stays the source of truth: before each batch (and every second when
idle) the writer compares the files' stats with what it last saw and reloads when
someone else (git, `jamdat import`, an editor) changed them; the save itself checks
again under the archive's lock and, if another writer committed meanwhile, the batch is
applied once more to the archive as it now is. Saving writes only what the batch changed,
as one transaction (`archive/persist.py`, `archive/txn.py`).
"""

from __future__ import annotations

import gc
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .. import archive
from ..archive import contentfs, persist, txn
from ..archive.persist import DeltaSaver, Edits
from ..errors import ContentError, JamdatError
from ..model import Activity, Site
from . import audit
from .common import Outcome
from .errors import EditError, Unavailable
from .gitlog import GitLog

log = logging.getLogger("jamdat.edits")

Op = Callable[[Site, datetime], Outcome]
"""An edit: checks itself against the archive, then changes it (never the other way)."""

Added = Callable[[Site, list[Activity]], None]
"""Told of activities once they are on disk, with the archive they are part of."""

_STOP = object()


@dataclass(slots=True)
class _Job:
    op: Op
    future: Future[Outcome]


def _copy(site: Site) -> Site:
    """A copy readers never see: operations replace records, they never mutate them. Its
    tables note which keys the operations set or remove (`Edits`), so the save looks at
    those records only."""
    return Site(
        site.config,
        site.stages,
        Edits(site.events),
        Edits(site.categories),
        Edits(site.projects),
        Edits(site.activities),
        Edits(site.people),
    )


class ContentWriter:
    """The single writer of one archive within this process (see the module docstring)."""

    def __init__(
        self,
        content: Path,
        *,
        git: bool = False,
        on_saved: Callable[[list[str]], None] | None = None,
        on_added: Added | None = None,
        idle_check: float = 1.0,
    ) -> None:
        self.content = content
        self.git = GitLog(content) if git else None
        self.saver = DeltaSaver(content)
        self.on_saved = on_saved
        self.on_added = on_added
        """Called on the writer thread with the activities each commit (or reload) added:
        the one place that knows a change has landed."""
        self.idle_check = idle_check
        self.saves = 0
        """How many times edits were written (each a batch of one or more edits)."""
        self._site: Site | None = None
        self._read: txn.Read | None = None
        """What the archive on disk was when last loaded or saved by this writer."""
        self._broken: ContentError | None = None
        self._checked = 0.0
        """When the files were last compared with what was loaded (time.monotonic)."""
        self._lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False

    # ------------------------------------------------------------ reading

    def site(self) -> Site:
        """The archive as last saved or loaded; loads it on first use."""
        site = self._site
        if site is None:
            with self._lock:
                site = self._current()
        return site

    def _current(self, *, at_most_every: float = 0.0) -> Site:
        """The archive, reloaded when its files changed on disk (hold the lock). With
        `at_most_every`, the files are compared only when that many seconds have passed
        since they last were: a save checks the files it writes itself (`archive/persist.py`),
        so under a stream of edits the whole archive is walked once a second, not per batch."""
        if self._site is not None and time.monotonic() - self._checked < at_most_every:
            return self._site
        self._checked = time.monotonic()
        seen = txn.consistent(self.content, lambda: txn.snapshot(self.content))
        if self._site is None or seen != self._read:
            try:
                work = archive.checkout(self.content)
            except ContentError as exc:
                self._broken = exc
                raise
            old = self._site
            if old is not None:
                log.info("%s changed on disk: reloaded", self.content)
            self._site, self._read, self._broken = work.site, work.read, None
            if old is not None:
                new = work.site.activities
                self._tell_added(work.site, [a for k, a in new.items() if k not in old.activities])
            # The server keeps this archive: frozen, it is not rescanned by every full
            # collection (100 ms pauses at 10,000 projects, each a delayed answer).
            gc.collect()
            gc.freeze()
        return self._site

    # ------------------------------------------------------------ writing

    def start(self) -> None:
        """Start the writer thread (done on first submit too)."""
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="jamdat-writer", daemon=True)
                self._thread.start()

    def submit(self, op: Op) -> Future[Outcome]:
        """Queue an edit; the future gets its outcome once it is on disk, or its error."""
        if self._closed:
            raise Unavailable("the server is shutting down: try again in a moment")
        self.start()
        job = _Job(op, Future())
        self._queue.put(job)
        return job.future

    def apply(self, op: Op) -> Outcome:
        """Queue an edit and wait for it."""
        return self.submit(op).result()

    def close(self, timeout: float | None = None) -> None:
        """Finish every queued edit, then stop the thread."""
        with self._start_lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.idle_check)
            except queue.Empty:
                self._idle()
                continue
            jobs: list[_Job] = []
            stop = first is _STOP
            if isinstance(first, _Job):
                jobs.append(first)
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, _Job):
                    jobs.append(item)
                else:
                    stop = True
            jobs = [job for job in jobs if job.future.set_running_or_notify_cancel()]
            if jobs:
                self._process(jobs)
            if stop:
                return

    def _idle(self) -> None:
        """Pick up changes made by others, and tell the rebuilder about them."""
        with self._lock:
            before = self._read
            try:
                self._current()
            except ContentError as exc:
                log.error(
                    "%s cannot be loaded; edits are refused until it is fixed:\n%s",
                    self.content,
                    exc,
                )
                return
            after = self._read
        if before is None or after is None or before == after:
            return
        old, new = before.stamps, after.stamps
        changed = sorted(contentfs.changed(old, new))
        if changed and self.on_saved is not None:
            self.on_saved(changed)

    def _process(self, jobs: list[_Job]) -> None:
        with self._lock:
            # With --git each edit is saved and committed on its own.
            groups = [[job] for job in jobs] if self.git else [jobs]
            for group in groups:
                try:
                    self._current(at_most_every=self.idle_check)
                except ContentError as exc:
                    error = Unavailable(f"the archive cannot be loaded, so not edited: {exc}")
                    for job in group:
                        job.future.set_exception(error)
                    continue
                self._commit(group)

    def _commit(self, jobs: list[_Job], attempt: int = 1) -> None:
        """Apply the jobs to a copy, save it once, then answer them (hold the lock)."""
        assert self._site is not None and self._read is not None
        jobs = [job for job in jobs if not job.future.done()]
        base = self._site
        work = _copy(base)
        now = datetime.now(UTC).replace(microsecond=0)
        accepted: list[tuple[_Job, Outcome]] = []
        for job in jobs:
            try:
                outcome = job.op(work, now)
            except EditError as exc:
                job.future.set_exception(exc)
                continue
            except Exception as exc:
                # A failing operation may have left the copy half-changed: drop it and
                # apply the others again on a fresh copy.
                log.exception("edit failed unexpectedly")
                job.future.set_exception(exc)
                self._commit([j for j in jobs if j is not job], attempt)
                return
            accepted.append((job, outcome))
        edits = [o.audit for _, o in accepted if o.audit is not None]
        changed: list[str] = []
        if edits:
            if self.git is not None:
                try:
                    self.git.commit_pending()
                except (OSError, JamdatError):
                    log.exception("committing changes found on disk before an edit failed")
            try:
                try:
                    saved = self.saver.save(base, work, self._read)
                finally:
                    persist.settle(work)
            except txn.Conflict:
                if attempt >= 3:
                    error = Unavailable("the archive keeps changing on disk: try again")
                    for job, _ in accepted:
                        job.future.set_exception(error)
                    return
                log.info("%s changed on disk during an edit: applying it again", self.content)
                try:
                    self._current()
                except ContentError as exc:
                    error = Unavailable(f"the archive cannot be loaded, so not edited: {exc}")
                    for job, _ in accepted:
                        job.future.set_exception(error)
                    return
                self._commit([job for job, _ in accepted], attempt + 1)
                return
            except Exception as exc:
                log.exception("saving %d edit(s) failed", len(edits))
                self._site = None  # reload: the files may be partly written
                for job, _ in accepted:
                    job.future.set_exception(JamdatError(f"saving failed: {exc}"))
                return
            changed = saved.changed
            self._site, self._read = work, saved.read
            self.saves += 1
            try:
                audit.append(self.content, edits)
                if self.git is not None:
                    self.git.commit(changed, edits[0])
            except (OSError, JamdatError):
                log.exception("the edit is saved, but recording it in the audit trail failed")
        for job, outcome in accepted:
            job.future.set_result(outcome)
        if changed and self.on_saved is not None:
            self.on_saved(changed)
        if changed and self.on_added is not None:
            self._tell_added(work, _added(base, work))

    def _tell_added(self, site: Site, added: list[Activity]) -> None:
        if added and self.on_added is not None:
            try:
                self.on_added(site, added)
            except Exception:
                log.exception("telling of new activities failed (they are saved)")


def _added(base: Site, work: Site) -> list[Activity]:
    """The activities `work` has and `base` has not. Operations add new entries at the end
    of the copy's dict, so this reads only the new ones."""
    added: list[Activity] = []
    for key in reversed(work.activities):
        if key in base.activities:
            break
        added.append(work.activities[key])
    return added
