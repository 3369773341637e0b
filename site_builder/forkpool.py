"""Forked worker pools that die with the process that forked them.

A supervisor that kills a build's main process (SIGTERM or SIGKILL to its PID) must not
leave its workers running, re-parented to init and holding the build's locks. Each
worker asks the kernel to kill it when its parent dies (`PR_SET_PDEATHSIG`), exits at
once if the parent died before it got that far, and closes its copies of the locks the
parent holds (a flock belongs to the open file, which a fork shares).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import locks

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

_PR_SET_PDEATHSIG = 1


def can_fork() -> bool:
    return hasattr(os, "fork")


def workers(jobs: int | None) -> int:
    """How many processes may work at once: `jobs`, else every core this one may use."""
    if jobs is not None:
        return max(1, jobs)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def pool(jobs: int, initializer: Callable[[], None] | None = None) -> ProcessPoolExecutor:
    """A pool of `jobs` forked workers bound to the life of this process."""
    # Imported here: a build with nothing to render starts without them (~15 ms).
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start,
        initargs=(os.getpid(), initializer),
    )


def _start(parent: int, initializer: Callable[[], None] | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent()
    if os.getppid() != parent:
        # The parent died between the fork and the line above: nobody will read our work.
        os._exit(1)
    locks.drop_inherited_locks()
    if initializer is not None:
        initializer()


def die_with_parent() -> None:
    """Have the kernel SIGKILL this process when its parent exits (Linux; elsewhere a no-op)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def exit_with_parent(parent: int, every: float = 0.5) -> None:
    """Exit this process soon after process `parent` dies, whichever thread started us.

    For spawned workers: `PR_SET_PDEATHSIG` fires when the *thread* that started a child
    ends, and a worker blocked on its task queue never sees the pipe close (it holds a
    copy of the write end), so a watcher thread looks for the re-parenting instead.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="jamdat-parent-watch", daemon=True).start()


class Answer:
    """A yes-or-no question answered by forked children while this process goes on (a
    no-op build stats every output on the other cores while it scans the archive), or
    here, when asked, where forking is not possible or not wanted. The question comes in
    parts (`asks`), each answered by a child of its own: yes when every part says yes. A
    child that fails, or is killed, answers no: the caller then takes the careful path."""

    def __init__(self, *asks: Callable[[], bool], fork: bool = True) -> None:
        self._asks = asks
        self._answer: bool | None = None
        self._pids: list[int] = []
        if fork and can_fork():
            self._pids = [_answer_in_child(ask) for ask in asks]

    def get(self) -> bool:
        if self._answer is None:
            if self._pids:
                self._answer = True
                while self._pids and self._answer:
                    _, status = os.waitpid(self._pids.pop(0), 0)
                    self._answer = os.waitstatus_to_exitcode(status) == 0
                self.cancel()  # one part said no: the rest need not finish
            else:
                self._answer = all(ask() for ask in self._asks)
        return self._answer

    def cancel(self) -> None:
        """Stop the children still asking: the answer is no longer needed."""
        for pid in self._pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            if self._answer is None:
                self._answer = False
        self._pids = []


def _answer_in_child(ask: Callable[[], bool]) -> int:
    """Fork a child that exits 0 when `ask()` is true; its pid."""
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child leaves through os._exit
        code = 2
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            die_with_parent()
            if os.getppid() == parent:  # else it died before the line above
                locks.drop_inherited_locks()
                code = 0 if ask() else 1
        finally:
            os._exit(code)
    return pid
