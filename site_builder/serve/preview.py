"""`jamdat serve`: build, serve `public/` on 127.0.0.1, rebuild on every save, reload the
browser.

One `BuildSession` does every build, so a rebuild re-reads only the files that changed and
renders only the pages they show. A watcher thread (watchfiles, native file events) runs
the builds one after another; the HTTP server (`http.py`) keeps serving the last good
site meanwhile, and tells open pages through server-sent events to reload, or to show the
error when a build fails.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Generator, Iterable
from contextlib import closing
from pathlib import Path

import watchfiles
from watchfiles import Change

from ..archive import STATE_DIR
from ..config import load_config
from ..errors import ContentError, JamdatError
from ..render.build import BuildReport, BuildSession
from ..render.templatedirs import template_dirs
from . import livereload
from .http import DevServer, SiteMount

STEP_MS = 30
"""How long the watcher waits for more file events after one: editors save in bursts
(temporary file, rename, metadata), and this is most of the save-to-reload latency."""

DEBOUNCE_MS = 400
"""Upper bound on collecting a burst of events before a build starts."""

WAKE_MS = 250
"""The watcher wakes this often without events (to notice it is ready and to stop)."""

STOP_SECONDS = 5.0
"""How long Ctrl+C waits for the server and the watcher to finish what they are doing."""

Echo = Callable[[str, bool], None]
"""Prints one message for the terminal; the flag marks errors."""


def _print(message: str, error: bool) -> None:
    import click

    click.secho(message, fg="red" if error else None, err=error)


def describe(exc: BaseException) -> str:
    """A build error as the terminal and the browser overlay show it: file and line first."""
    if isinstance(exc, ContentError):
        lines = [f"{len(exc.problems)} problem(s) in the content:"]
        lines += [f"  {problem}" for problem in exc.problems]
        return "\n".join(lines)
    if isinstance(exc, JamdatError):
        return str(exc)
    return "".join(traceback.format_exception(exc)).rstrip()


class _Filter(watchfiles.DefaultFilter):
    """watchfiles' defaults (editor swap files, VCS folders) plus the build's own state,
    the output folder and atomic-write temporaries (`.name.xxxx.tmp`)."""

    def __init__(self, ignore: Iterable[Path]) -> None:
        super().__init__(
            ignore_dirs=(*self.ignore_dirs, STATE_DIR),
            ignore_entity_patterns=(*self.ignore_entity_patterns, r"^\..*\.tmp$"),
            ignore_paths=[str(p) for p in ignore],
        )


class LiveSite:
    """An archive under preview: builds it and announces each outcome on `hub`."""

    def __init__(
        self, content: Path, out: Path, *, jobs: int | None = None, echo: Echo = _print
    ) -> None:
        self.content, self.out = content, out
        self.session = BuildSession(content, out, jobs=jobs, long_lived=True)
        self.hub = livereload.Hub()
        self.base_path = "/"
        self.last: BuildReport | None = None
        self._echo = echo

    def watched(self) -> list[Path]:
        """The folders whose changes trigger a build: the content and the templates."""
        return [self.content.resolve(), *template_dirs(self.content)]

    def rebuild(self, changed: Iterable[str] = ()) -> bool:
        """Build now; True when it succeeded. A failure is printed and announced, and the
        last good site stays in place (the build engine publishes nothing on failure)."""
        names = list(changed)
        what = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        start = time.perf_counter()
        try:
            report = self.session.build()
            self.base_path = load_config(self.content).base_path
        except Exception as exc:  # any failure is shown; serving goes on either way
            message = describe(exc)
            self.hub.failed(message)
            head = f"{_now()} {what + ': ' if what else ''}build failed"
            self._echo(f"{head}:\n{message}\nServing the last good build.", True)
            return False
        self.last = report
        seconds = time.perf_counter() - start
        changed_files = [*report.written, *report.deleted]
        self.hub.built(changed_files)
        if not what:
            self._echo(report.summary(), False)
        else:
            self._echo(
                f"{_now()} {what}: rebuilt in {seconds:.2f}s, "
                f"{len(report.written)} written, {len(report.deleted)} deleted",
                False,
            )
        return True

    def watch(self, stop: threading.Event, ready: threading.Event) -> None:
        """Rebuild on every change until `stop` is set; `ready` is set once the watcher
        receives file events. A site `templates/` folder made (or removed) while serving is
        noticed within `WAKE_MS`: the watcher restarts on the new folders, then rebuilds."""
        pending: list[str] = []
        while not stop.is_set():
            folders = self.watched()
            roots = [str(p) for p in folders]
            try:
                with closing(self._changes(roots, stop)) as batches:
                    for changes in batches:
                        ready.set()
                        if stop.is_set():
                            return
                        names = sorted({_relative(path, roots) for _, path in changes})
                        if pending:  # the new folders are watched now: build what was found
                            names, pending = sorted({*pending, *names}), []
                        if names:
                            self.rebuild(names)
                        now = self.watched()
                        if now != folders:
                            added = [f"{p.name}/ (new)" for p in now if p not in folders]
                            gone = [f"{p.name}/ (removed)" for p in folders if p not in now]
                            pending = added or gone
                            break
            except FileNotFoundError:  # a folder went away before it was watched: look again
                stop.wait(WAKE_MS / 1000)

    def _changes(
        self, roots: list[str], stop: threading.Event
    ) -> Generator[set[tuple[Change, str]], None, None]:
        """watchfiles' batches of changes under `roots`, and an empty one every `WAKE_MS`."""
        out = self.out.resolve()
        yield from watchfiles.watch(
            *roots,
            watch_filter=_Filter([out, out.parent / f".{out.name}.new"]),
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            stop_event=stop,
            rust_timeout=WAKE_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
        )


def _relative(path: str, roots: list[str]) -> str:
    """A changed file named relative to the watched folder holding it."""
    for root in roots:
        if path.startswith(root.rstrip("/") + "/"):
            return f"{Path(root).name}/{path[len(root.rstrip('/')) + 1 :]}"
    return path


def _now() -> str:
    return time.strftime("%H:%M:%S")


class Preview:
    """`jamdat serve` as an object: build, serve and watch until `stop()`."""

    def __init__(
        self,
        content: Path,
        out: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        jobs: int | None = None,
        headers: dict[str, str] | None = None,
        echo: Echo = _print,
    ) -> None:
        self.live = LiveSite(content, out, jobs=jobs, echo=echo)
        mount = SiteMount(out, lambda: self.live.base_path, self.live.hub, dict(headers or {}))
        try:
            self.server = DevServer((host, port), mount)
        except OSError as exc:
            raise JamdatError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> Preview:
        """Build once, then serve and watch in background threads (returns when watching)."""
        self.live.rebuild()
        serving = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        watching = threading.Thread(
            target=self.live.watch, args=(self._stop, self._ready), daemon=True
        )
        self._threads = [serving, watching]
        for thread in self._threads:
            thread.start()
        if not self._ready.wait(10):
            self.stop()
            raise JamdatError("the file watcher did not start within 10 seconds")
        return self

    def stop(self) -> None:
        """Stop watching and serving; open event streams end."""
        self._stop.set()
        self.live.hub.close()
        self.server.shutdown()
        self.server.server_close()
        # One deadline for all threads: a watcher busy rebuilding must not add its own wait
        # to the server's (both are daemons, and end with the process).
        deadline = time.monotonic() + STOP_SECONDS
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> Preview:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(
    content: Path, out: Path, *, host: str, port: int, open_browser: bool, jobs: int | None
) -> None:
    """Run the preview until Ctrl+C."""
    if not (content / "site.yaml").is_file() and not (content / "datapackage.json").is_file():
        raise JamdatError(f"no archive in {content}: start one with `jamdat init {content}`")
    preview = Preview(content, out, host=host, port=port, jobs=jobs)
    if not preview.server.is_loopback:
        _print(
            f"warning: --host {host} lets other machines reach this preview, which is a "
            "development server: it rebuilds on every save and shows drafts and errors. "
            "Publish public/ with a static host instead.",
            True,
        )
    with preview:
        folders = ", ".join(str(p) for p in preview.live.watched())
        _print(f"Serving {out} at {preview.url} (Ctrl+C to stop)\nWatching {folders}", False)
        if open_browser:
            import webbrowser

            webbrowser.open(preview.url)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            _print("stopping", False)
