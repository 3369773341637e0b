"""Atomic, change-only file writes: a reader never sees half a file, git never sees a no-op."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` to `path` atomically unless the file already holds exactly these bytes."""
    if holds(path, data):
        return False
    atomic_write(path, data)
    return True


def holds(path: Path, data: bytes) -> bool:
    """Whether the file at `path` holds exactly `data`."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except FileNotFoundError:
        return False


def atomic_write(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same directory, then `os.replace` it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _staged(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _staged(path: Path, data: bytes) -> str:
    """`data` in a new temporary file beside `path`; an error (a full disk) names `path`."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with naming(path), os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


@contextlib.contextmanager
def naming(path: Path) -> Iterator[None]:
    """Errors of the system (a full disk) raised while writing `path` name it: write() and
    close() do not say which file they were writing."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            exc.filename = str(path)
        raise
