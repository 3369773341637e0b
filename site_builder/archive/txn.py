"""Transactions over the archive: a change of several files commits whole or not at all.

A writer stages every new file in `.jamdat/txn/`, then, holding the archive's lock:
checks that what it read is still on disk (`Read`), writes a journal naming every move
and removal (the commit point: one atomic rename), carries them out, and renames the
journal to the commit token (the journal gone and a new token, in one step). A writer
killed after the commit point leaves the journal, and whoever next takes the lock or
reads (any reader or writer) rolls it forward; killed before, it leaves only staged
files, which are dropped. Nothing is ever half applied once the
lock is free again.

Readers take no lock. They read between two looks at the journal and the token (a
sequence lock): a commit that ran meanwhile shows as a journal or a new token, and the
read is done again (`consistent`). So no build and no API request sees half a change.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..errors import JamdatError
from ..fsutil import naming
from ..locks import locked
from . import contentfs
from .contentfs import FileStat

R = TypeVar("R")

LOCK = "content.lock"
JOURNAL = "journal.json"
TOKEN = "commit"
"""The journal of the last commit, kept once carried out: its text (a random token and
the files moved) tells each commit from any other."""
STAGING = "txn"
_ATTEMPTS = 5
"""Lock-free reads tried before a reader waits for the lock (each retry means a commit
ran during the read: several in a row are rare)."""


_inside = threading.local()
"""Per thread: whether a `consistent` read is under way, and the archives locked."""


class Conflict(JamdatError):
    """Someone else changed the archive since the writer read it: nothing was written.
    `files` names the files edited since (empty when another writer committed)."""

    def __init__(self, content: Path, files: list[str]) -> None:
        self.files = files
        if files:
            what = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
            why = f"{what} changed on disk since it was read (edited by hand or by another tool)"
        else:
            why = (
                "the archive changed on disk since it was read (another jamdat command or "
                "the edit API committed a change meanwhile)"
            )
        super().__init__(
            f"{content}: not saved, because {why}; nothing was written: run the command again"
        )


@dataclass(frozen=True, slots=True)
class Read:
    """What a writer read: the commit token of the archive then, and the stamp of each
    file (absent files have none). A save is refused when a file it writes no longer
    has its stamp, or when another writer committed since (a new token)."""

    token: str
    stamps: Mapping[str, FileStat] = field(default_factory=dict)

    def stale(self, content: Path, files: list[str]) -> list[str] | None:
        """The files among `files` changed on disk since this read (hold the lock), or
        None when none did; [] when another transaction committed since."""
        if _token(content) != self.token:
            return []
        changed = [rel for rel in sorted(files) if stamp(content, rel) != self.stamps.get(rel)]
        return changed or None


def state(content: Path) -> Path:
    """The folder of the archive's own state (never committed)."""
    return content / contentfs.STATE_DIR


@contextlib.contextmanager
def exclusive(content: Path) -> Iterator[None]:
    """Hold the archive's lock, with any change a killed writer left rolled forward.
    Re-entrant within a thread (a second flock of the same file would wait for itself)."""
    held: set[str] = _inside.__dict__.setdefault("held", set())
    key = os.path.abspath(content)
    if key in held:
        yield
        return
    with locked(state(content) / LOCK):
        held.add(key)
        try:
            recover(content)
            yield
        finally:
            held.discard(key)


def last_attempt(content: Path, last: bool) -> contextlib.AbstractContextManager[None]:
    """Around one attempt of a writer to read, change and save: the last attempt holds the
    lock throughout, so a writer that keeps losing to others (the edit API commits many
    times a second) still gets through, holding them up once, for one read."""
    return exclusive(content) if last else contextlib.nullcontext()


def commit(content: Path, files: Mapping[str, bytes | None], read: Read) -> str:
    """Write `files` (path relative to `content`: bytes, or None to remove) as one change
    (hold `exclusive`). Raises Conflict, writing nothing, when one of them changed since
    `read`. Returns the new commit token. Leave out files already holding their bytes."""
    stale = read.stale(content, list(files))
    if stale is not None:
        raise Conflict(content, stale)
    return _apply(content, files)


def commit_read(content: Path, files: Mapping[str, bytes | None], read: Read) -> Read:
    """`commit`, returning what the writer knows of the archive now: the new token and
    `read`'s stamps with those of the files it wrote (hold `exclusive`)."""
    token = commit(content, files, read)
    stamps = dict(read.stamps)
    for rel in files:
        now = stamp(content, rel)
        if now is None:
            stamps.pop(rel, None)
        else:
            stamps[rel] = now
    return Read(token, stamps)


def _apply(content: Path, files: Mapping[str, bytes | None]) -> str:
    """Stage, journal and carry out `files` (hold the lock). Paths as strings: pathlib
    costs more here than the writes (the edit API commits many times a second)."""
    token = os.urandom(8).hex()
    staging = os.path.join(content, contentfs.STATE_DIR, STAGING)
    moves: list[tuple[str, str]] = []
    removes: list[str] = []
    journal = os.path.join(content, contentfs.STATE_DIR, JOURNAL)
    try:
        _check_staging(content, staging)
        for n, (rel, data) in enumerate(sorted(files.items())):
            if data is None:
                removes.append(rel)
                continue
            with naming(content / rel):  # a full disk names the file being written
                _write(f"{staging}/{token}.{n}", data)
            moves.append((f"{token}.{n}", rel))
        entry: dict[str, object] = {"token": token, "moves": moves, "removes": removes}
        text = json.dumps(entry)
        with naming(Path(journal)):
            _write(f"{staging}/{token}.{JOURNAL}", text.encode())
        os.replace(f"{staging}/{token}.{JOURNAL}", journal)  # the commit point
    except BaseException:
        _drop_staged(content)
        raise
    _roll_forward(content, (moves, removes))
    return text


_CHECKED: set[str] = set()
"""Staging folders known to exist on their archive's file system."""


def _check_staging(content: Path, staging: str) -> None:
    """Make the staging folder; refuse one on another file system than the archive (a
    linked `.jamdat`): files could not be renamed from it into place."""
    if staging in _CHECKED and os.path.isdir(staging):
        return
    os.makedirs(staging, exist_ok=True)
    if os.stat(staging).st_dev != os.stat(content).st_dev:
        raise JamdatError(
            f"{state(content)} is on another file system than {content}: changes are "
            "moved from it into place, so it must be a plain folder of the archive"
        )
    _CHECKED.add(staging)


def recover(content: Path) -> bool:
    """Finish a change a killed writer committed, and drop what one staged without
    committing (hold the lock). True when there was a change to finish."""
    path = state(content) / JOURNAL
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = None
    if data is not None:
        _roll_forward(content, _journal(content, data))
    if _staged(content):
        _drop_staged(content)
    return data is not None


def _drop_staged(content: Path) -> None:
    """Remove staged files no journal names (hold the lock)."""
    staging = state(content) / STAGING
    with contextlib.suppress(FileNotFoundError), os.scandir(staging) as it:
        for entry in it:
            if entry.is_dir(follow_symlinks=False):
                import shutil  # only when a crashed change left its staging behind

                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)


Journal = tuple[list[tuple[str, str]], list[str]]
"""A commit's moves (staged file name, path in the archive) and removals."""


def _journal(content: Path, data: bytes) -> Journal:
    """The moves and removals of a journal left on disk, every path checked. Anything but
    what `_apply` writes (moves of staged files, by plain names, to files of the archive,
    and removals of files of the archive) was damaged, written by hand or came with a
    copied archive: carried out, it could tear the archive or write and remove files
    anywhere (`../`, an absolute path, a linked folder), so it is refused."""
    path = state(content) / JOURNAL
    try:
        entry = json.loads(data)
        moves = [(str(staged), str(rel)) for staged, rel in entry["moves"]]
        removes = [str(rel) for rel in entry["removes"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise JamdatError(
            f"{path}: the journal of an unfinished change is damaged; restore content/ from "
            "git and remove the file"
        ) from None
    names = [staged for staged, _ in moves]
    for name in (n for n in names if not _plain_name(n)):
        raise JamdatError(f"{path}: the journal of an unfinished change is damaged: {name!r}")
    for rel in (r for r in [*(r for _, r in moves), *removes] if not _in_archive(content, r)):
        raise JamdatError(
            f"{path}: the journal of an unfinished change is damaged: it names {rel!r}, "
            "which is not a file of the archive; nothing was done: remove the journal (it "
            "was not written by Jamdat) and check the archive"
        )
    return moves, removes


def _plain_name(name: str) -> bool:
    return bool(name) and not any(c in name for c in "/\\\0") and name not in (".", "..")


def _in_archive(content: Path, rel: str) -> bool:
    """Whether `rel` names a file of the archive: relative, no `..`, not in `.jamdat`, and
    no folder on the way a symbolic link."""
    parts = rel.split("/")
    if "\0" in rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return False
    if parts[0] == contentfs.STATE_DIR:
        return False
    folder = content
    for part in parts[:-1]:
        folder = folder / part
        if folder.is_symlink():
            return False
    return not (content / rel).is_symlink()


def _roll_forward(content: Path, journal: Journal) -> None:
    """Carry out a committed journal; done again after a crash, it finishes the work (a
    staged file already moved is simply gone from the staging folder)."""
    state_dir = os.path.join(content, contentfs.STATE_DIR)
    moves, removes = journal
    for staged, rel in moves:
        source, target = f"{state_dir}/{STAGING}/{staged}", os.path.join(content, rel)
        try:
            os.replace(source, target)
        except FileNotFoundError:
            if os.path.exists(source):  # the target's folder is new
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.replace(source, target)
    for rel in removes:
        (content / rel).unlink(missing_ok=True)
    for parent in sorted({(content / rel).parent for rel in removes}, reverse=True):
        _remove_if_empty(content, parent)
    # Last, and in one step: the journal is gone and the token is new (see `consistent`).
    os.replace(f"{state_dir}/{JOURNAL}", f"{state_dir}/{TOKEN}")


def _remove_if_empty(content: Path, folder: Path) -> None:
    """Remove a text folder left empty (`projects/<event>/`), never a top folder."""
    if folder.parent == content or folder == content:
        return
    with contextlib.suppress(OSError):
        folder.rmdir()


def _write(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


# ---------------------------------------------------------------- reading


def consistent(content: Path, read: Callable[[], R]) -> R:
    """`read()` the archive as one committed state: done again when a transaction ran
    meanwhile, and under the lock when that keeps happening. Calls nested in `read`
    just read (the outer call checks)."""
    if getattr(_inside, "active", False):
        return read()
    _inside.active = True
    try:
        for _ in range(_ATTEMPTS):
            token = _settled(content)
            try:
                value = read()
            except Exception:
                if _unchanged(content, token):
                    raise  # a problem of the archive as committed, not of a torn read
                continue
            if _unchanged(content, token):
                return value
        with exclusive(content):
            return read()
    finally:
        _inside.active = False


def _unchanged(content: Path, token: str) -> bool:
    """Whether no commit ran since `token` was read (the journal first: see `_apply`)."""
    return not (state(content) / JOURNAL).exists() and _token(content) == token


def snapshot(content: Path) -> Read:
    """The stamps of every file of the archive and its commit token, for a writer to
    take before it reads (inside `consistent`)."""
    return Read(_token(content), contentfs.scan(content))


def _settled(content: Path) -> str:
    """The token of the last commit, once no change is half done: a commit under way is
    waited for, one a killed writer left is rolled forward (or its staged files dropped)."""
    if (state(content) / JOURNAL).exists() or _staged(content):
        with exclusive(content):
            pass
    return _token(content)


def _staged(content: Path) -> bool:
    """Whether files are staged: a commit is under way, or a writer was killed before
    its commit point and left them."""
    try:
        with os.scandir(state(content) / STAGING) as it:
            return any(True for _ in it)
    except (FileNotFoundError, NotADirectoryError):
        return False


def current(content: Path) -> str:
    """The token of the archive's last commit ("" before the first)."""
    return _token(content)


def _token(content: Path) -> str:
    try:
        return (state(content) / TOKEN).read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def stamp(content: Path, rel: str) -> FileStat | None:
    """The stamp of one file of the archive, as `snapshot` takes it; None when missing."""
    try:
        st = os.lstat(content / rel)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (st.st_size, st.st_ctime_ns, st.st_ino)
