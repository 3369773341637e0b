"""Putting a build in place without a visitor ever seeing half a site.

A cold build writes a complete tree next to `out` and exchanges the two directories in
one `renameat2(RENAME_EXCHANGE)` system call (two renames where that is unavailable). An
incremental build changes single files, each through a temporary file and `os.replace`.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from ..fsutil import atomic_write

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _libc_renameat2() -> ctypes._NamedFuncPointer | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.renameat2
    except (OSError, AttributeError):
        return None


_renameat2 = _libc_renameat2()


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two existing paths; False when the system cannot do it."""
    if _renameat2 is None:
        return False
    result = _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, f"cannot exchange {a} and {b}: {os.strerror(code)}")


def staging_dir(out: Path) -> Path:
    """A fresh, empty sibling of `out` to build a whole tree in (left-overs are removed)."""
    stage = out.parent / f".{out.name}.new"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    return stage


def write_new(path: Path, data: bytes) -> os.stat_result:
    """Write a file of a staging tree nobody serves yet (no temporary file needed);
    returns its final stat, for the build state."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return os.fstat(fd)
    finally:
        os.close(fd)


def swap_in(stage: Path, out: Path) -> None:
    """Make `stage` the new `out` atomically and delete the previous tree."""
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        os.rename(stage, out)
        return
    if exchange(stage, out):
        _remove(stage)
        return
    old = out.parent / f".{out.name}.old"
    if old.exists():
        shutil.rmtree(old)
    os.rename(out, old)
    os.rename(stage, out)
    _remove(old)


def _remove(path: Path) -> None:
    """Delete the previous output, a tree (or a stray file where a tree belongs)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def discard(stage: Path) -> None:
    """Remove a staging tree after a failed build."""
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(stage)


def apply_changes(out: Path, writes: Iterable[tuple[str, bytes]], deletes: Iterable[str]) -> None:
    """Replace changed files one by one (each atomically) and remove outputs no longer made."""
    for rel, data in writes:
        atomic_write(out / rel, data)
    for rel in deletes:
        path = out / rel
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        parent = path.parent
        while parent != out and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
