"""Putting a build in place without a visitor ever seeing half a site.

A cold build writes a complete tree next to `out` and exchanges the two directories in
one `renameat2(RENAME_EXCHANGE)` system call (two renames where that is unavailable). An
incremental build writes every changed file to a private folder inside `out` first (where
a full disk fails) and only then moves them into place, each exchanged with the file it
replaces in one `renameat2(RENAME_EXCHANGE)` (a link and `os.replace` without it); a failure
at any point (SIGTERM included) moves the previous files back. Folders and temporary
files are named after the build's pid, and whatever a killed build left is swept away by
the next one.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path

from .. import onterm
from ..errors import JamdatError

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


def staging_path(out: Path) -> Path:
    """Where this build stages a whole tree: a sibling of `out` named for the build."""
    return out.parent / f".{out.name}.new-{os.getpid()}"


def staging_dir(out: Path) -> Path:
    """A fresh, empty `staging_path`."""
    stage = staging_path(out)
    discard(stage)
    try:
        stage.mkdir(parents=True)
    except OSError as exc:
        raise cannot_write(stage, exc) from exc
    return stage


def write_new(path: Path, data: bytes) -> os.stat_result:
    """Write a file of a staging tree nobody serves yet (no temporary file needed);
    returns its final stat, for the build state."""
    try:
        return _write(path, data)
    except OSError as exc:
        raise cannot_write(path, exc) from exc


def _write(path: Path, data: bytes) -> os.stat_result:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return os.fstat(fd)
    finally:
        os.close(fd)


def cannot_write(path: Path, exc: OSError) -> JamdatError:
    """One line naming the file, e.g. 'cannot write public/x.html: No space left on device'."""
    return JamdatError(f"cannot write {path}: {exc.strerror or exc}")


def swap_in(stage: Path, out: Path) -> None:
    """Make `stage` the new `out` atomically and delete the previous tree."""
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        os.rename(stage, out)
        return
    if exchange(stage, out):
        _remove(stage)
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    discard(old)
    os.rename(out, old)
    os.rename(stage, out)
    _remove(old)


def _remove(path: Path) -> None:
    """Delete the previous output, a tree (or a stray file where a tree belongs)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


_WORK_PREFIX = ".jamdat-publish-"


def apply_changes(
    out: Path, writes: Sequence[tuple[str, bytes]], deletes: Iterable[str]
) -> dict[str, os.stat_result]:
    """Replace changed files and remove outputs no longer made, all or nothing: when
    anything fails (a full disk, SIGTERM), `out` is left exactly as it was. Returns the
    stat of each file written (rename keeps its inode and mtime), for the build state."""
    deletes = list(deletes)
    if not writes and not deletes:
        return {}
    work = out / f"{_WORK_PREFIX}{os.getpid()}"
    undo: list[Callable[[], object]] = []
    written: dict[str, os.stat_result] = {}

    def roll_back() -> None:
        for step in reversed(undo):
            with contextlib.suppress(OSError):
                step()
        undo.clear()
        discard(work)

    # Each undo step is registered before its action and does nothing when the action has
    # not happened, so that SIGTERM between the two is harmless.
    with onterm.undo_on_term(roll_back):
        try:
            discard(work)
            work.mkdir()
            for i, (rel, data) in enumerate(writes):
                try:
                    written[rel] = _write(work / str(i), data)
                except OSError as exc:
                    raise cannot_write(out / rel, exc) from exc
            folders: set[Path] = set()
            for i, (rel, _) in enumerate(writes):
                _make_parent(out / rel, folders, undo)
                _move_in(work / str(i), out / rel, written[rel].st_ino, undo)
            for i, rel in enumerate(deletes):
                target, kept = out / rel, work / f"{i}.deleted"
                undo.append(partial(os.rename, kept, target))
                with contextlib.suppress(FileNotFoundError):
                    os.rename(target, kept)
        except BaseException:
            roll_back()
            raise
        undo.clear()
        discard(work)
    for rel in deletes:
        parent = (out / rel).parent
        while parent != out and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    return written


def _make_parent(target: Path, folders: set[Path], undo: list[Callable[[], object]]) -> None:
    """Make the folder of `target` unless it exists (checked once per folder), with an undo
    step removing the topmost folder made."""
    parent = target.parent
    if parent in folders:
        return
    if not parent.is_dir():
        top = parent
        while not top.parent.is_dir():
            top = top.parent
        undo.append(partial(shutil.rmtree, top))
        parent.mkdir(parents=True)
    folders.add(parent)


def _move_in(new: Path, target: Path, inode: int, undo: list[Callable[[], object]]) -> None:
    """Put `new` (inode `inode`) at `target`. The file it replaces goes to `new`'s name in
    the same system call (RENAME_EXCHANGE), kept there for undo; with no renameat2, a hard
    link keeps it instead (one more directory entry to make and remove per file)."""
    undo.append(partial(_exchange_back, new, target, inode))
    try:
        if exchange(new, target):
            return
    except FileNotFoundError:  # a new output: nothing to replace
        undo[-1] = partial(_remove_if, target, inode)
        os.rename(new, target)
        return
    backup = new.with_name(f"{new.name}.old")
    undo[-1] = partial(os.replace, backup, target)
    try:
        os.link(target, backup, follow_symlinks=False)
    except FileNotFoundError:
        undo[-1] = partial(_remove_if, target, inode)
    os.replace(new, target)


def _exchange_back(kept: Path, target: Path, inode: int) -> None:
    """Undo an exchange, if it happened: the new file (by its inode) is at `target`."""
    if os.stat(target, follow_symlinks=False).st_ino == inode:
        exchange(kept, target)


def _remove_if(target: Path, inode: int) -> None:
    """Undo moving a new file in, if it happened."""
    if os.stat(target, follow_symlinks=False).st_ino == inode:
        os.unlink(target)


def sweep(out: Path) -> None:
    """Remove what killed or older builds left: staging trees beside `out` and publish
    folders at its top. (Older versions' temporary files deeper in `out` go with the cold
    build their state, which lacks the directory's identity, leads to.) Callers hold
    `out`'s lock, so none of these belongs to a build still running (even one whose
    pid a new process has taken since)."""
    stems = (f".{out.name}.new", f".{out.name}.old")
    for entry in _entries(out.parent):
        if _leftover(entry.name, stems):
            discard(Path(entry.path))
    for entry in _entries(out):
        if entry.name.startswith(_WORK_PREFIX):
            discard(Path(entry.path))


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        return list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []


def _leftover(name: str, stems: tuple[str, ...]) -> bool:
    """`.public.new`, `.public.new-1234` and the like."""
    return any(name == stem or re.fullmatch(re.escape(stem) + r"-\d+", name) for stem in stems)


def discard(path: Path) -> None:
    """Remove a staging tree, or a stray file where one would go."""
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
