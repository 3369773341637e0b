"""Rendering outputs, serially or on all cores, with errors that say where they come from.

Forked workers inherit the loaded site and the plan, so nothing is pickled on the way in
(the Markdown's HTML they read from its cache's database). In a cold build each worker
writes its files straight into the staging tree and sends back only their digests, stats
and the sources each read (joined, one string a file); in an incremental build it sends
back the bytes of files that changed.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType

import jinja2

from .. import forkpool
from ..errors import ContentError, JamdatError
from . import deps, i18n, publish
from .mdcache import MarkdownCache
from .minify import minify
from .outputs import Output, RenderContext
from .state import Entry, StoredKeys, content_hash

PARALLEL_MIN = 400
"""Fewer outputs than this render in-process: a pool costs ~0.1 s to start and fill."""

Result = tuple[str, str, int, int, int, bytes | None, StoredKeys]
"""(path, content hash, size, mtime_ns, inode, bytes to write or None, sources read)."""


@dataclass(slots=True)
class Batch:
    """Outputs to render and where they go: a staging tree, or back to the caller."""

    outputs: list[Output]
    ctx: RenderContext
    cache: MarkdownCache
    stage: Path | None = None
    previous: dict[str, Entry] = field(default_factory=dict)
    disk_ok: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Done:
    results: list[Result]
    fresh: dict[bytes, str]
    rendered: int
    hits: int
    error: str | None = None


def render_output(output: Output, ctx: RenderContext) -> bytes:
    """Render one output; failures name the template file and line and the output path."""
    try:
        with i18n.speaking(ctx.env, ctx.site.config.language):
            data = output.render(ctx)
        if ctx.site.config.minify_html and output.path.endswith(".html"):
            data = minify(data.decode("utf-8") if isinstance(data, bytes) else data)
    except ContentError:
        raise
    except JamdatError as exc:
        raise JamdatError(f"{exc} (while rendering {output.path})") from exc
    except Exception as exc:
        raise JamdatError(_describe(exc, output.path)) from exc
    return data.encode("utf-8") if isinstance(data, str) else data


def _describe(exc: Exception, path: str) -> str:
    """'template page.html, line 12: message (while rendering x/index.html)'."""
    filename: str | None = None
    lineno: int | None = None
    if isinstance(exc, jinja2.TemplateSyntaxError):
        filename, lineno = exc.filename or exc.name, exc.lineno
    if not filename:
        filename, lineno = _template_frame(exc.__traceback__)
    message = (exc.message if isinstance(exc, jinja2.TemplateError) else None) or str(exc)
    where = f"template {filename}, line {lineno}: " if filename else ""
    return f"{where}{type(exc).__name__}: {message} (while rendering {path})"


def _template_frame(tb: TracebackType | None) -> tuple[str | None, int | None]:
    """The innermost template frame of a traceback (Jinja rewrites them to template lines)."""
    found: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if not name.endswith(".py") and not name.startswith("<"):
            found = (name, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _render_slice(batch: Batch, start: int, end: int) -> list[Result]:
    results: list[Result] = []
    made: set[str] = set()
    # Outputs reading the same sources share one set: sent, kept and stored once, joined.
    shared: dict[frozenset[str], StoredKeys] = {}
    for output in batch.outputs[start:end]:
        with deps.recording() as recorder:
            data = render_output(output, batch.ctx)
        keys = frozenset(recorder.keys)
        read = shared.get(keys)
        if read is None:
            read = shared[keys] = StoredKeys.of(keys)
        hashed = content_hash(data)
        if batch.stage is not None:
            parent = output.path.rpartition("/")[0]
            if parent and parent not in made:
                (batch.stage / parent).mkdir(parents=True, exist_ok=True)
                made.add(parent)
            st = publish.write_new(batch.stage / output.path, data)
            results.append((output.path, hashed, len(data), st.st_mtime_ns, st.st_ino, None, read))
        else:
            old = batch.previous.get(output.path)
            same = old is not None and old.hash == hashed and output.path in batch.disk_ok
            results.append((output.path, hashed, len(data), 0, 0, None if same else data, read))
    return results


_BATCH: list[Batch] = []


def _start_worker() -> None:
    _BATCH[0].cache.reopen()


def _work(bounds: tuple[int, int]) -> _Done:
    batch = _BATCH[0]
    cache = batch.cache
    rendered, hits = cache.rendered, cache.hits
    try:
        results = _render_slice(batch, *bounds)
    except JamdatError as exc:
        return _Done([], {}, 0, 0, str(exc))
    fresh = dict(cache.fresh)
    cache.fresh.clear()
    return _Done(results, fresh, cache.rendered - rendered, cache.hits - hits)


def _slices(n: int, jobs: int) -> list[tuple[int, int]]:
    """Bounds of the slices `jobs` processes take in turn: each a share of what is left,
    so the last are small and all processes finish together (a slice of the first size
    at the end kept one core busy alone for most of a second)."""
    most = max(20, n // (jobs * 16))
    bounds: list[tuple[int, int]] = []
    start = 0
    while start < n:
        size = min(most, max(20, (n - start) // (jobs * 4)))
        bounds.append((start, min(start + size, n)))
        start += size
    return bounds


def render_batch(batch: Batch, jobs: int) -> list[Result]:
    """Render every output of the batch on `jobs` processes when there are many: this one
    and `jobs - 1` forked workers, each taking the next slice as it finishes one. Every
    worker holds its own copy of whatever of the loaded site it touches (a reference
    count written dirties the page), so this process works too rather than wait.
    Outputs of a derived table (the search index) are rendered here first: the table is
    made once, in this process, while the workers render."""
    n = len(batch.outputs)
    if jobs <= 1 or n < PARALLEL_MIN or not forkpool.can_fork():
        return _render_slice(batch, 0, n)
    own: list[Output] = []
    rest = replace(batch, outputs=[])
    for output in batch.outputs:
        (rest.outputs if deps.derived_table(output.path) is None else own).append(output)
    slices = deque(_slices(len(rest.outputs), jobs))
    _BATCH[:] = [rest]
    pool = forkpool.pool(jobs - 1, _start_worker)
    sent: deque[Future[_Done]] = deque()
    results: list[Result] = []

    def take(done: _Done) -> None:
        if done.error is not None:
            raise JamdatError(done.error)
        batch.cache.absorb(done.fresh, done.rendered, done.hits)
        results.extend(done.results)

    def send() -> None:
        # Two slices per worker in flight: one to render, one queued for when it is done.
        while sent and sent[0].done():
            take(sent.popleft().result())
        while slices and len(sent) < 2 * (jobs - 1):
            sent.append(pool.submit(_work, slices.popleft()))

    try:
        send()  # the workers fork here, before the table is made
        results.extend(_render_slice(replace(batch, outputs=own), 0, len(own)))
        send()
        while slices:
            results.extend(_render_slice(rest, *slices.popleft()))
            send()
        while sent:
            take(sent.popleft().result())
        return results
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _BATCH.clear()
