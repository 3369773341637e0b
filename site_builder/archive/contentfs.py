"""Reading a folder of files without following symbolic links out of it.

The archive (`content/`), a site's `templates/` and the built site are read only through
here. A symbolic link anywhere in them is an error naming it, never followed: a link to
`/proc/self/environ` or `/etc/passwd` committed to an archive must not be published by a
preview build. Listing uses the entries' own type (lstat); opening walks the path one
folder at a time with `O_NOFOLLOW`, so a link swapped in after the listing is refused too.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import time
from collections.abc import Mapping
from pathlib import Path

from ..errors import ContentError, Problem

STATE_DIR = ".jamdat"
"""The build state and caches inside `content/`: not content, never listed."""


def state_dir(content: Path) -> Path:
    """Where caches and the build state of an archive live (never committed)."""
    return content / STATE_DIR


SYMLINK = (
    "is a symbolic link; Jamdat reads only files inside the archive, never what a link "
    "points to: replace the link with a copy of the file"
)
SPECIAL = "is not a regular file or folder (a device, socket or pipe); remove it"

FileStat = tuple[int, int, int]
"""(size, ctime_ns, inode) of a file, as the build state compares them. The change time,
not the modification time: tools can set the latter back (`touch -d`, `rsync -t`), never
the former, which moves with every write."""

STAMP = "scan.stamp"
"""A file of the state dir whose change time a build sets before it scans (`stamp`)."""


def stamp(content: Path) -> int:
    """A time on the clock the archive's file system stamps changes with, taken before a
    scan. That clock ticks coarsely (4 ms on most Linux kernels, a second or two on some
    file systems): a file written again after the scan stat'ed it, within the same tick and
    to the same size, keeps the stat the scan saw. A file whose change time is not before
    the stamp may be such a file; `settled` marks it so that the next build reads it
    again, as git does with "racily clean" files."""
    path = state_dir(content) / STAMP
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = _open_stamp(path)
    except OSError:
        # Not a file of ours (a link, a folder, a pipe planted there): never followed.
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        fd = _open_stamp(path)
    try:
        os.utime(fd)  # sets the change time too
        return os.fstat(fd).st_ctime_ns
    finally:
        os.close(fd)


def _open_stamp(path: Path) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    fd = os.open(path, flags, 0o644)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise IsADirectoryError(errno.EISDIR, "not a regular file", str(path))
    return fd


def settled(stats: dict[str, FileStat], stamp: int) -> dict[str, FileStat]:
    """`stats` with each file changed at or after `stamp` (see there) given a stat no file
    has (size -1, and a time unique to this call): compared with any later scan it
    differs, so the next build reads the file again instead of trusting its stat."""
    racy = [rel for rel, st in stats.items() if st[1] >= stamp]
    if not racy:
        return stats
    unique = time.time_ns()
    marked = dict(stats)
    for rel in racy:
        marked[rel] = (-1, unique, 0)
    return marked


def scan(root: Path, under: str = "", *, prefix: str = "") -> dict[str, FileStat]:
    """Every regular file below `root/under` by POSIX path relative to `root`, with its
    stat; `.jamdat/` at the top is skipped. Raises ContentError naming every symbolic
    link and special file found (as `prefix` + path). A missing folder has no files."""
    return _scan(root, under, prefix, stats=True)


def changed(a: Mapping[str, FileStat], b: Mapping[str, FileStat]) -> frozenset[str]:
    """The files added, removed or changed between two scans (one set operation over the
    pairs: a session's save compares 30,000 files this way in 2 ms, not 10). The last
    answer is kept for the same two scans (scans are never changed once made): a build
    asks it of its scan and the last one up to four times."""
    global _last_changed
    last = _last_changed
    if last is not None and last[0] is a and last[1] is b:
        return last[2]
    found = frozenset(rel for rel, _ in a.items() ^ b.items())
    _last_changed = (a, b, found)
    return found


_last_changed: tuple[Mapping[str, FileStat], Mapping[str, FileStat], frozenset[str]] | None = None


def check(root: Path) -> None:
    """Raise ContentError naming every symbolic link and special file below `root` (what
    `scan` refuses, from the folder entries' types alone: no file is stat'ed), or `root`
    itself when it is a link: a committed `content -> /` must not become the archive."""
    if root.is_symlink():
        raise ContentError.single(root, SYMLINK.replace("file", "folder"))
    _scan(root, "", "", stats=False)


def _scan(root: Path, under: str, prefix: str, *, stats: bool) -> dict[str, FileStat]:
    """`scan`, and `check` without `stats` (then nothing is returned). Each folder is
    opened below the top one without following a link at its end, and its files are
    stat'ed through it (`fstatat`: one name to look up, not the whole path)."""
    found: dict[str, FileStat] = {}
    problems: list[Problem] = []
    top_rel = f"{under.strip('/')}/" if under else ""
    try:
        top = open_beneath(root, under, prefix=prefix) if under else _open_folder(root)
    except (FileNotFoundError, NotADirectoryError):
        return found
    try:
        folders = [""]
        while folders:
            rel = folders.pop()
            try:
                # Without the trailing slash, which would follow a link at the end.
                fd = os.open(rel[:-1], _FOLDER, dir_fd=top) if rel else top
            except FileNotFoundError:
                continue  # removed since it was listed
            except OSError as exc:
                if exc.errno not in (errno.ENOTDIR, errno.ELOOP):
                    raise
                # Replaced since it was listed: by a link (refused), or by a file.
                _replaced(top, rel[:-1], top_rel, prefix, found if stats else None, problems)
                continue
            try:
                _list(fd, rel, top_rel, prefix, found if stats else None, folders, problems)
            finally:
                if fd != top:
                    os.close(fd)
    finally:
        os.close(top)
    if problems:
        raise ContentError(sorted(problems, key=lambda p: p.file))
    return found


_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _open_folder(path: Path) -> int:
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)


def _replaced(
    top: int,
    rel: str,
    top_rel: str,
    prefix: str,
    found: dict[str, FileStat] | None,
    problems: list[Problem],
) -> None:
    """What a folder listed as one turned out to be when opened: a link is named as one,
    a file is taken as found, anything else named as special."""
    name = top_rel + rel
    try:
        st = os.stat(rel, dir_fd=top, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        problems.append(Problem(prefix + name, SYMLINK))
    elif not stat.S_ISREG(st.st_mode):
        problems.append(Problem(prefix + name, SPECIAL))
    elif found is not None:
        found[name] = (st.st_size, st.st_ctime_ns, st.st_ino)


def _list(
    fd: int,
    rel: str,
    top_rel: str,
    prefix: str,
    found: dict[str, FileStat] | None,
    folders: list[str],
    problems: list[Problem],
) -> None:
    """One folder's entries (`rel` below the scan's top, which is `top_rel` below the
    root): its files' stats into `found` (unless None), its folders onto `folders`."""
    try:
        with os.scandir(fd) as it:
            entries = list(it)
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        name = top_rel + rel + entry.name
        if name == STATE_DIR:
            continue  # whatever it is (a link to a scratch disk, say), it is not content
        try:
            if entry.is_symlink():
                problems.append(Problem(prefix + name, SYMLINK))
            elif entry.is_dir(follow_symlinks=False):
                folders.append(rel + entry.name + "/")
            elif not entry.is_file(follow_symlinks=False):
                problems.append(Problem(prefix + name, SPECIAL))
            elif found is not None:
                st = entry.stat(follow_symlinks=False)
                found[name] = (st.st_size, st.st_ctime_ns, st.st_ino)
        except FileNotFoundError:
            continue  # removed while listing


def open_beneath(root: Path, rel: str, *, prefix: str = "") -> int:
    """A read-only descriptor of the file or folder `rel` below `root`, opened without
    following any symbolic link on the way (the caller closes it). A link raises
    ContentError naming it; `rel` with empty, `.` or `..` parts, or missing, raises
    FileNotFoundError."""
    parts = _parts(rel)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for i in range(len(parts)):
            child = _open_child(fd, parts, i, prefix)
            os.close(fd)
            fd = child
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise ContentError.single(prefix + rel, SPECIAL)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_child(fd: int, parts: list[str], i: int, prefix: str) -> int:
    """Open `parts[i]` in the folder `fd`: a folder unless it is the last part (then
    anything, a pipe without waiting), never through a link."""
    last = i == len(parts) - 1
    # O_NONBLOCK: opening a pipe must not hang; it is refused by the caller.
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    flags |= os.O_NONBLOCK if last else os.O_DIRECTORY
    try:
        return os.open(parts[i], flags, dir_fd=fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ContentError.single(prefix + "/".join(parts[: i + 1]), SYMLINK) from None
        if exc.errno in (errno.ENOTDIR, errno.ENAMETOOLONG):
            raise FileNotFoundError(errno.ENOENT, "no such file", "/".join(parts)) from None
        raise


def read_bytes(root: Path, rel: str, *, prefix: str = "") -> bytes:
    """The bytes of the regular file `rel` below `root`, read as `open_beneath` opens it."""
    fd = open_beneath(root, rel, prefix=prefix)
    return _read_file(fd, prefix + rel)


def _read_file(fd: int, shown: str) -> bytes:
    """The bytes of the open regular file `fd` (closed after), named `shown` in errors.
    Read with `os.read` in the size the file has, until its end: a file object per file
    costs a third of reading 10,000 pitches."""
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder", shown)
        if not stat.S_ISREG(st.st_mode):
            raise ContentError.single(shown, SPECIAL)
        chunks: list[bytes] = []
        want = st.st_size + 1  # then on to the end: a file can grow while it is read
        while chunk := os.read(fd, want):
            chunks.append(chunk)
            want = 1 << 16
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


def read_optional(root: Path, rel: str, *, prefix: str = "") -> bytes | None:
    """`read_bytes`, or None when there is no such file (or a folder is in its place)."""
    try:
        return read_bytes(root, rel, prefix=prefix)
    except (FileNotFoundError, IsADirectoryError):
        return None


class Reader:
    """Reads many files below one folder as `read_optional` does, opening each folder on
    the way once rather than once per file (10,000 pitches live in 100 folders). A
    folder is opened as `open_beneath` opens it, never through a link; close the reader
    when done."""

    OPEN_FOLDERS = 16
    """Folders kept open at once (the oldest is closed first): files are read folder by
    folder, and an archive of 1,000 events must not run out of descriptors."""

    def __init__(self, root: Path, *, prefix: str = "") -> None:
        self.root, self.prefix = root, prefix
        self._folders: dict[str, int] = {}

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for fd in self._folders.values():
            os.close(fd)
        self._folders.clear()

    def read_optional(self, rel: str) -> bytes | None:
        """The bytes of the file `rel`, or None when there is none (or a folder)."""
        parts = _parts(rel)
        try:
            folder = self._folder(parts, len(parts) - 1)
            fd = _open_child(folder, parts, len(parts) - 1, self.prefix)
            return _read_file(fd, self.prefix + rel)
        except (FileNotFoundError, IsADirectoryError):
            return None

    def _folder(self, parts: list[str], depth: int) -> int:
        """The open folder of the first `depth` parts of a path (the root for 0)."""
        key = "/".join(parts[:depth])
        fd = self._folders.get(key)
        if fd is None:
            if depth == 0:
                fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            else:
                # Opened as a folder (the path goes on below it), as `open_beneath` does.
                fd = _open_child(self._folder(parts, depth - 1), parts, depth - 1, self.prefix)
            self._folders[key] = fd
            if len(self._folders) > self.OPEN_FOLDERS:
                os.close(self._folders.pop(next(iter(self._folders))))
        return fd


def _parts(rel: str) -> list[str]:
    """The names of a relative path; anything that could step out of the folder is refused."""
    parts = rel.split("/")
    if any(p in ("", ".", "..") or "\x00" in p for p in parts):
        raise FileNotFoundError(errno.ENOENT, "not a path inside the folder", rel)
    return parts
