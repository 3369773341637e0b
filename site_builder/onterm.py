"""SIGTERM during a build: undo what is half done, then exit.

Supervisors stop a build with SIGTERM. Raising an exception from the signal handler
would land anywhere (inside a process pool's bookkeeping or an at-fork hook, where it is
swallowed or leaves the pool waiting forever), so instead the steps that leave something
behind register how to undo it, and the handler runs those and exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType

from . import locks

EXIT_CODE = 128 + signal.SIGTERM

_UNDO: list[Callable[[], object]] = []


@contextlib.contextmanager
def undo_on_term(action: Callable[[], object]) -> Iterator[None]:
    """Run `action` if SIGTERM stops the process inside this block."""
    _UNDO.append(action)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            _UNDO.remove(action)


@contextlib.contextmanager
def exit_cleanly_on_term(message: str) -> Iterator[None]:
    """While inside, SIGTERM undoes the registered steps, releases the locks held,
    prints `message` and exits with 143."""
    me = os.getpid()

    def on_term(signum: int, frame: FrameType | None) -> None:
        if os.getpid() == me:
            for action in reversed(_UNDO):
                with contextlib.suppress(Exception):
                    action()
            locks.release_all()
            with contextlib.suppress(Exception):
                print(message, file=sys.stderr, flush=True)
        os._exit(EXIT_CODE)

    try:
        previous = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread: nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
