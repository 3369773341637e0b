"""Opening the build's disposable sqlite files (build state, Markdown cache) so that a
damaged one costs a rebuild, never a crash: it is discarded with one warning."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from collections.abc import Iterable
from pathlib import Path

_MAGIC = b"SQLite format 3\x00"
_CORRUPT = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


MMAP_BYTES = 1 << 30


def connect(path: Path, schema: Iterable[str], *, mapped: bool = False) -> sqlite3.Connection:
    """Open (or create) the database at `path` in WAL mode and apply `schema`; a file
    that is not a whole sqlite database is discarded first, with one warning. `mapped`
    reads it through a memory map rather than copying page by page: a new process reads
    a build state whole (~100 MB at 10,000 projects) in about half the time. Not for the
    Markdown cache, which a cold build's workers read whole: pages they map count to the
    build's memory (PSS), pages copied out of the kernel's cache do not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    statements = list(schema)
    problem = damage(path)
    if problem is None:
        try:
            return _open(path, statements, mapped)
        except sqlite3.DatabaseError as exc:
            if not is_corruption(exc):
                raise
            problem = str(exc)
    discard(path, problem)
    return _open(path, statements, mapped)


def _open(path: Path, schema: list[str], mapped: bool) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA journal_mode=WAL")
        if mapped:
            db.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        for statement in schema:
            db.execute(statement)
    except BaseException:
        db.close()
        raise
    return db


def damage(path: Path) -> str | None:
    """What is visibly wrong with the file, from its header and size; None when it is
    absent or looks whole (a full check would read every page, far too slow)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            header = handle.read(100)
    except FileNotFoundError:
        return None
    if size == 0:
        return "empty file"
    if len(header) < 100 or not header.startswith(_MAGIC):
        return "not an sqlite database"
    page = int.from_bytes(header[16:18], "big")
    page = 65536 if page == 1 else page
    if page < 512 or page & (page - 1) or size % page:
        return "truncated"
    pages = int.from_bytes(header[28:32], "big")
    if header[24:28] == header[92:96] and size < pages * page:
        return "truncated"
    return None


def is_corruption(exc: sqlite3.Error) -> bool:
    """A damaged file, as opposed to a locked or full disk. (An error raised in a worker
    process arrives without its code: its message tells.)"""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code in _CORRUPT
    return type(exc) is sqlite3.DatabaseError and any(
        phrase in str(exc) for phrase in ("malformed", "not a database")
    )


def check(path: Path) -> str | None:
    """Read the whole database: what is damaged in it, or None (for the rare case where
    a build met a damaged page the header check could not see)."""
    problem = damage(path)
    if problem is not None or not path.exists():
        return problem
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            result = str(db.execute("PRAGMA quick_check").fetchone()[0])
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if result == "ok" else result


def discard(path: Path, problem: str) -> None:
    """Delete the database and its journal files, saying so once."""
    print(
        f"warning: {path} is unreadable ({problem}); discarded, it will be rebuilt", file=sys.stderr
    )
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")
