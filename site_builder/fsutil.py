"""Atomic, change-only file writes: a reader never sees half a file, git never sees a no-op."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
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


def replace_all(writes: dict[Path, bytes], removes: Iterable[Path] = ()) -> None:
    """Write every file or none: each goes to a temporary file beside its target first
    (where a full disk fails; then the temporary files and the folders made for them are
    removed and nothing has changed), and only then are all renamed into place and
    `removes` deleted."""
    staged: list[tuple[str, Path]] = []
    made: list[Path] = []
    try:
        for path, data in writes.items():
            made.extend(_make_folders(path.parent))
            staged.append((_staged(path, data), path))
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    for tmp, path in staged:
        os.replace(tmp, path)
    for path in removes:
        path.unlink(missing_ok=True)


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


def _make_folders(folder: Path) -> list[Path]:
    """Make `folder` and its missing parents; returns those made, outermost first."""
    missing: list[Path] = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    made: list[Path] = []
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
        made.append(path)
    return made


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
