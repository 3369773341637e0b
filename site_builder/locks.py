"""Exclusive locks between processes that say who holds them and outlive no holder."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def locked(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock so two writers never interleave.

    The file names its holder (pid, host, start time, command) and exists only while
    held; a process that has to wait says once on stderr whom it waits for. flock
    releases the lock when its holder dies; a lock still held after its holder died
    (kept by a worker an older version left behind) is taken over by replacing the file.
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = _acquire(lock_file)
    _HELD[fd] = lock_file
    try:
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(_me()).encode() + b"\n", 0)
        except OSError as exc:  # a full disk: say where
            exc.filename = exc.filename or str(lock_file)
            raise
        yield
    finally:
        _HELD.pop(fd, None)
        # Removed while still held, so nothing is left behind; a waiter that then gets
        # the removed file's lock sees it is no longer the file at that path and retries.
        with contextlib.suppress(OSError):
            os.unlink(lock_file)
        os.close(fd)


_HELD: dict[int, Path] = {}
"""Descriptors of the locks this process holds and their files."""


def drop_inherited_locks() -> None:
    """In a forked child: close its copies of the parent's locks, so that the locks go
    with the parent (a flock is released only when every copy is closed)."""
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


def release_all() -> None:
    """Before exiting on a signal: release every lock as `locked` would."""
    for fd, path in list(_HELD.items()):
        with contextlib.suppress(OSError):
            os.unlink(path)
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


def _acquire(lock_file: Path) -> int:
    """Lock `lock_file`, waiting for its holder; returns the locked descriptor."""
    told = False
    while True:
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            if not _try_lock(fd):
                holder = _holder(fd)
                if not holder:  # a holder names itself just after locking: give it a moment
                    time.sleep(0.1)
                    holder = _holder(fd)
                # A holder that exits releases the lock as it goes: only a lock still
                # held once its holder is gone is stale.
                if _stale(lock_file, fd, holder) and not _try_lock(fd):
                    os.close(fd)
                    _take_over(lock_file)
                    continue
                if not _try_lock(fd):
                    if not told:
                        print(
                            f"waiting for {_describe(holder, lock_file)} to finish ...",
                            file=sys.stderr,
                        )
                        told = True
                    fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        # The file may have been removed or replaced between open and flock.
        if _is_at(fd, lock_file):
            return fd
        os.close(fd)


def _try_lock(fd: int) -> bool:
    """Lock `fd` if nobody holds its file; False when somebody does."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _is_at(fd: int, path: Path) -> bool:
    """Whether `fd` is still the file at `path` (not removed or replaced since opened)."""
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def _guarded(guard: Path) -> Iterator[None]:
    """Hold `guard` exclusively, as `locked` does but without naming or taking over."""
    while True:
        fd = os.open(guard, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        if _is_at(fd, guard):
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(guard)
        os.close(fd)


def _pid_namespace() -> str:
    """The PID namespace of this process (Linux), else "": a pid names a process only
    within one, and containers sharing a host name may not share it."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def _me() -> dict[str, object]:
    return {
        "pid": os.getpid(),
        "host": os.uname().nodename,
        "pidns": _pid_namespace(),
        "started": time.time(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:2]]) if sys.argv else "",
    }


def _holder(fd: int) -> dict[str, object]:
    """What the lock file says about its holder; {} when written by an older version."""
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _describe(holder: dict[str, object], lock_file: Path) -> str:
    pid, started = holder.get("pid"), holder.get("started")
    if not isinstance(pid, int):
        return f"the process holding {lock_file}"
    details = [str(holder.get("command") or "jamdat")]
    if isinstance(started, int | float):
        details.append(f"started {time.strftime('%H:%M:%S', time.localtime(started))}")
    if holder.get("host") != os.uname().nodename:
        details.append(f"on {holder.get('host')}")
    return f"process {pid} ({', '.join(details)})"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(lock_file: Path, fd: int, holder: dict[str, object]) -> bool:
    """A lock held although its holder is gone: only processes it left behind keep it
    (orphaned workers, re-parented to init, of a build killed by an older version)."""
    pid = holder.get("pid")
    if isinstance(pid, int):
        here = holder.get("host") == os.uname().nodename
        # A holder of another PID namespace cannot be seen from here: never taken for dead.
        seen = holder.get("pidns", _pid_namespace()) == _pid_namespace()
        return here and seen and not _alive(pid)
    keepers = _openers(os.fstat(fd))
    return bool(keepers) and all(_parent(p) == 1 for p in keepers)


def _openers(st: os.stat_result) -> list[int]:
    """Processes other than this one with the file open (Linux /proc; else none)."""
    found: list[int] = []
    me = os.getpid()
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) == me:
                continue
            with contextlib.suppress(OSError):
                for fd in os.scandir(f"/proc/{entry.name}/fd"):
                    target = os.stat(fd.path)
                    if (target.st_dev, target.st_ino) == (st.st_dev, st.st_ino):
                        found.append(int(entry.name))
                        break
    return found


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return int(handle.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def _take_over(lock_file: Path) -> None:
    """Replace a stale lock file by a fresh one; the guard makes sure only one waiter
    does it for one stale holder, and neither it nor the lock file outlives the move."""
    with _guarded(lock_file.with_name(lock_file.name + ".takeover")):
        try:
            fd = os.open(lock_file, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:  # its holder's successor removed it: nothing to take
            return
        try:
            if not _try_lock(fd) and _stale(lock_file, fd, _holder(fd)):
                tmp = lock_file.with_name(f"{lock_file.name}.{os.getpid()}.tmp")
                os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
                os.replace(tmp, lock_file)
        finally:
            os.close(fd)
