"""One site build as the rebuild queue runs it, in a worker process or thread.

Kept free of web imports so a spawned worker starts fast. Errors come back as values:
exceptions carrying problem lists do not survive pickling intact.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

from site_builder import forkpool
from site_builder.errors import ContentError, JamdatError
from site_builder.render.build import BuildSession

BUILD_NICENESS = 19


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build did, or why it failed (then the last good site is still served)."""

    ok: bool
    summary: str = ""
    planned: int = 0
    rendered: int = 0
    written: int = 0
    deleted: int = 0
    seconds: float = 0.0
    error: str = ""
    content_error: bool = False


_SESSIONS: dict[tuple[Path, Path, str | None, int | None], BuildSession] = {}
"""The build worker's sessions: each rebuild after the first re-reads only the files that
changed and re-plans only the events they touch, as `jamdat serve` does."""


def run_build(
    content: Path, out: Path, base_url: str | None, jobs: int | None, *, warm: bool = False
) -> BuildResult:
    """Build the site incrementally; the engine publishes atomically or not at all. `warm`
    loads and plans the archive even when nothing changed, so the first edit's build is
    as fast as the later ones."""
    key = (content, out, base_url, jobs)
    try:
        session = _SESSIONS.get(key)
        if session is None:
            session = _SESSIONS[key] = BuildSession(
                content, out, base_url=base_url, jobs=jobs, long_lived=True
            )
        report = session.build(warm=warm)
    except ContentError as exc:
        return BuildResult(False, error=str(exc), content_error=True)
    except JamdatError as exc:
        return BuildResult(False, error=str(exc))
    return BuildResult(
        True,
        summary=report.summary(),
        planned=report.planned,
        rendered=len(report.rendered),
        written=len(report.written),
        deleted=len(report.deleted),
        seconds=report.seconds,
    )


def worker_init(server: int) -> None:
    """In a build process: let the server decide when to stop, so a Ctrl-C or SIGTERM
    sent to the whole process group never interrupts a build half-way; yield the CPU
    to the server, so that edits are answered first and builds use what is left; and
    exit when the server is gone (killed with SIGKILL), instead of lingering."""
    forkpool.exit_with_parent(server)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.nice(BUILD_NICENESS)


def warm_up(content: Path, out: Path, base_url: str | None, jobs: int | None) -> BuildResult:
    """Bring the worker's build session up ahead of the first edit (building what is stale)."""
    return run_build(content, out, base_url, jobs, warm=True)
