"""Forked worker pools that die with the process that forked them.

A supervisor that kills a build's main process (SIGTERM or SIGKILL to its PID) must not
leave its workers running, re-parented to init and holding the build's locks. Each
worker asks the kernel to kill it when its parent dies (`PR_SET_PDEATHSIG`), exits at
once if the parent died before it got that far, and closes its copies of the locks the
parent holds (a flock belongs to the open file, which a fork shares).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from . import locks

_PR_SET_PDEATHSIG = 1


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def pool(jobs: int, initializer: Callable[[], None] | None = None) -> ProcessPoolExecutor:
    """A pool of `jobs` forked workers bound to the life of this process."""
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
