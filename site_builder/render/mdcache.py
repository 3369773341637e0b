"""Markdown rendered once per distinct text: a persistent cache and a parallel renderer.

Texts are keyed by a blake2b digest of the renderer's version and the text, keyed with a
secret of the machine's user (`cache_secret`), stored in sqlite in the archive's state
dir. The cache's HTML is trusted as sanitized, and the state dir sits inside a folder
others commit to: a cache planted there, made anywhere else, never matches a text.
Missing texts are rendered on all cores by forked worker processes (fork shares the texts
with the workers without pickling them); a handful is rendered in-process, where a pool
would cost more than it saves.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import os
import secrets
import sqlite3
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

from .. import forkpool
from . import sqlitefile

Renderer = Callable[[str], str]

POOL_MIN_BYTES = 200_000
"""Below this much missing Markdown (~0.1 s of rendering) a process pool is not worth it."""

RECENT = 256
"""Texts' HTML kept after a lookup: a page and its neighbours in the plan (its deck, its
event's pages) ask for the same texts, half of a build's lookups (~0.5 MB)."""

CHUNK_BYTES = 150_000
"""Work handed to a worker at a time: big enough to amortize messaging, small enough
that both cores stay busy to the end."""


def _project_modules(module: ModuleType) -> list[ModuleType]:
    """`module` and the project modules it uses, directly or through one another (a module
    counts as used when it, or a function or class from it, is imported)."""
    package = module.__name__.split(".")[0]
    found: dict[str, ModuleType] = {}
    todo = [module]
    while todo:
        current = todo.pop()
        if current.__name__ in found:
            continue
        found[current.__name__] = current
        for value in vars(current).values():
            name = value.__name__ if isinstance(value, ModuleType) else _value_module(value)
            used = sys.modules.get(name) if name.split(".")[0] == package else None
            if used is not None and name not in found:
                todo.append(used)
    return [found[name] for name in sorted(found)]


def _value_module(value: object) -> str:
    """The module a function or class comes from, or empty."""
    name = getattr(value, "__module__", "")
    return name if isinstance(name, str) else ""


@functools.cache
def renderer_version(module: ModuleType) -> str:
    """A digest of what decides the HTML of a text: the renderer's source, the project
    modules it uses (e.g. the sanitizer, the text limits) and the libraries' versions.
    Computed once per process: the code a process runs does not change under it."""
    h = hashlib.blake2b(digest_size=8)
    for used in _project_modules(module):
        source = getattr(used, "__file__", None)
        if source:
            h.update(Path(source).read_bytes())
    for dist in ("markdown-it-pyrs", "nh3", "selectolax"):
        h.update(f"{dist}={_version(dist)};".encode())
    return h.hexdigest()


def _version(dist: str) -> str:
    """A library's version: its module's `__version__`, which each of these sets, or its
    installed metadata (importing `importlib.metadata` costs a new process 10-30 ms)."""
    try:
        found = getattr(importlib.import_module(dist.replace("-", "_")), "__version__", None)
    except ImportError:
        return "-"
    if isinstance(found, str):
        return found
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


SECRET_ENV = "JAMDAT_CACHE_SECRET"
"""Environment variable that may give the cache secret (e.g. from a CI secret, so that a
cached state dir stays usable across runs)."""


@functools.cache
def cache_secret() -> bytes:
    """The key of every Markdown cache key: from `JAMDAT_CACHE_SECRET`, else a random
    secret kept in the user's cache folder (`~/.cache/jamdat/secret`, never in an
    archive), else one for this process only (the cache then only serves this process)."""
    given = os.environ.get(SECRET_ENV)
    if given:
        return hashlib.blake2b(given.encode("utf-8"), digest_size=32).digest()
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(home, "jamdat", "secret")
    try:
        return _stored_secret(path)
    except OSError:
        return secrets.token_bytes(32)


def _stored_secret(path: Path) -> bytes:
    """The 32 bytes in `path`, made (readable by its owner only) when missing."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
        try:
            os.link(tmp, path)  # fails when another process made one meanwhile: use that
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(33)
    if len(data) != 32:
        raise OSError(f"{path}: not a cache secret")
    return data


_SCHEMA = "CREATE TABLE IF NOT EXISTS html (key BLOB PRIMARY KEY, html TEXT NOT NULL) WITHOUT ROWID"


class MarkdownCache:
    """Sanitized HTML of Markdown texts by content hash, persistent across builds."""

    def __init__(self, path: Path, version: str, render: Renderer) -> None:
        self.path = path
        self.version = version.encode()
        self.render_one = render
        self.db = sqlitefile.connect(path, (_SCHEMA,))
        self.fresh: dict[bytes, str] = {}
        """Texts rendered in this process and not saved yet."""
        self.recent: dict[bytes, str] = {}
        """The last `RECENT` texts read from the database, the last read last."""
        self.rendered = 0
        self.hits = 0

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def close(self) -> None:
        self.db.close()

    def reopen(self) -> None:
        """In a forked worker: use a connection of its own (sqlite connections must not
        cross a fork; the inherited one is kept, unused, so it is never closed here)."""
        _INHERITED.append(self.db)
        self.db = self._connect()
        self.fresh = {}

    def absorb(self, fresh: dict[bytes, str], rendered: int, hits: int) -> None:
        """Take over what a worker rendered and counted."""
        self.fresh.update(fresh)
        self.rendered += rendered
        self.hits += hits

    def key(self, text: str) -> bytes:
        h = hashlib.blake2b(self.version, digest_size=16, key=cache_secret())
        h.update(text.encode("utf-8", "surrogatepass"))
        return h.digest()

    def known(self) -> set[bytes]:
        """Every key in the persistent cache."""
        return {row[0] for row in self.db.execute("SELECT key FROM html")}

    def prepare(self, texts: Iterable[str], jobs: int | None) -> None:
        """Render every text not cached yet, in parallel when worth it (then `save`)."""
        known = self.known()
        wanted: dict[bytes, str] = {}
        for text in texts:
            k = self.key(text)
            if k not in known:
                wanted.setdefault(k, text)
        if not wanted:
            return
        keys = list(wanted)
        htmls = render_many([wanted[k] for k in keys], self.render_one, forkpool.workers(jobs))
        self.rendered += len(keys)
        self.fresh.update(zip(keys, htmls, strict=True))

    def __call__(self, text: str) -> str:
        """The HTML of one text: rendered in this process or read lately, else from the
        database, else rendered now. Read from the database on demand (10-40 µs), the HTML
        of every text is not held by each rendering process in turn."""
        if not text:
            return ""
        k = self.key(text)
        html = self.fresh.get(k)
        if html is not None:
            self.hits += 1
            return html
        html = self.recent.pop(k, None)
        if html is None:
            row = self.db.execute("SELECT html FROM html WHERE key = ?", (k,)).fetchone()
            html = None if row is None else str(row[0])
        if html is not None:
            if len(self.recent) >= RECENT:
                del self.recent[next(iter(self.recent))]
            self.recent[k] = html
            self.hits += 1
            return html
        html = self.fresh[k] = self.render_one(text)
        self.rendered += 1
        return html

    def save(self) -> None:
        """Persist the texts rendered during this build."""
        if not self.fresh:
            return
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO html VALUES (?, ?)", self.fresh.items())
        self.fresh.clear()

    def prune(self, keep: list[str]) -> int:
        """Drop cached texts no longer in the archive once they outnumber the live ones."""
        count = int(self.db.execute("SELECT count(*) FROM html").fetchone()[0])
        if count <= 2 * len(keep) + 100:
            return 0
        stale = self.known() - {self.key(t) for t in keep}
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("DELETE FROM html WHERE key = ?", ((k,) for k in stale))
        return len(stale)


_INHERITED: list[sqlite3.Connection] = []

# Texts of the current parallel render, inherited by forked workers (never pickled).
_TEXTS: list[str] = []
_RENDER: list[Renderer] = []


def _render_range(bounds: tuple[int, int]) -> list[str]:
    render = _RENDER[0]
    return [render(text) for text in _TEXTS[bounds[0] : bounds[1]]]


def _chunks(texts: list[str], size: int) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    start, total = 0, 0
    for i, text in enumerate(texts):
        total += len(text)
        if total >= size:
            bounds.append((start, i + 1))
            start, total = i + 1, 0
    if start < len(texts):
        bounds.append((start, len(texts)))
    return bounds


def render_many(texts: list[str], render: Renderer, jobs: int) -> list[str]:
    """Render texts in order, on `jobs` forked processes when there is enough work."""
    total = sum(len(t) for t in texts)
    if jobs <= 1 or total < POOL_MIN_BYTES or not forkpool.can_fork():
        return [render(t) for t in texts]
    size = min(CHUNK_BYTES, max(10_000, total // (jobs * 8)))
    _TEXTS[:] = texts
    _RENDER[:] = [render]
    try:
        with forkpool.pool(jobs) as pool:
            out: list[str] = []
            for part in pool.map(_render_range, _chunks(texts, size)):
                out.extend(part)
            return out
    finally:
        _TEXTS.clear()
        _RENDER.clear()
