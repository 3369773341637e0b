"""The build-state database: for every output file, what it was made from and what it holds.

One sqlite file per output directory in the archive's state dir. A row of `outputs`
records the output's fingerprint (the arguments its plan gave it, the settings and the
engine), the sources its render read (`deps.py`), the digest of the bytes written and the
file's size, mtime and inode; `sources` records what each of those sources held. Many
outputs read the same sources (a project's deck and its page's siblings), so each distinct
set of sources is stored once, in `depsets`, and shared when loaded; `derived` names the
set each derived table (the search index, `deps.Derived`) was made from; `files` the
stat of every file of the archive the build read, so that the next build knows which
files changed since (when only long texts did, only their sources can have); `loaded`
and `texts` the archive as the build loaded it from those files (`archive.stored`), so
that a new process reads only the files changed since. A later
build knows, without reading any file, what to re-render (fingerprint changed, a source
it read changed, or the file was touched or removed) and what to re-write (bytes
changed). It is written only after a successful publish.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..archive import contentfs
from ..archive.contentfs import FileStat
from . import sqlitefile

if TYPE_CHECKING:
    from ..archive import stored

SCHEMA_VERSION = "8"

_DEPS_SEP = "\x1d"

TEXT_KEYS = "text\x1f"
"""How the keys of long texts' sources start (`deps.text_source`): the state keeps each set's
text keys apart too (`readers`), the only sources a build after text edits asks about."""


class StoredKeys:
    """A set of sources kept joined (sorted, so equal sets are equal strings): split into
    a set only when a build needs it whole. Most builds only ask whether it holds one of a
    few changed sources, and a cold build's 22,000 sets of ~25 keys cost ~65 MB as sets of
    strings against 17 MB joined (and splitting every loaded set cost more than all of a
    small build's other work on the state)."""

    __slots__ = ("_joined", "_keys")

    def __init__(self, joined: str) -> None:
        self._joined = f"{_DEPS_SEP}{joined}{_DEPS_SEP}"
        self._keys: frozenset[str] | None = None

    @classmethod
    def of(cls, keys: Iterable[str]) -> StoredKeys:
        return cls(_DEPS_SEP.join(sorted(keys)))

    def __reduce__(self) -> tuple[type[StoredKeys], tuple[str]]:
        return (StoredKeys, (self.joined,))

    @property
    def joined(self) -> str:
        """The sorted keys, joined: the form the state stores."""
        return self._joined[1:-1]

    def keys(self) -> frozenset[str]:
        if self._keys is None:
            self._keys = frozenset(self.each())
        return self._keys

    def each(self) -> list[str]:
        """The keys, split anew and not kept: for a pass that reads every set once."""
        joined = self._joined[1:-1]
        return joined.split(_DEPS_SEP) if joined else []

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def isdisjoint(self, changed: Changed) -> bool:
        if not changed.keys:
            return True
        if changed.pattern is None or self._keys is not None:
            return self.keys().isdisjoint(changed.keys)
        return changed.pattern.search(self._joined) is None


@dataclass(frozen=True, slots=True)
class Changed:
    """Sources that changed, as `StoredKeys.isdisjoint` looks for them: a few are found
    in the joined keys, more in the split set."""

    keys: AbstractSet[str]
    pattern: re.Pattern[str] | None = None
    """The few keys, each between separators, as one search (three times faster over
    22,000 sets than a search for each)."""

    @classmethod
    def of(cls, keys: AbstractSet[str]) -> Changed:
        if not keys or len(keys) > 16:
            return cls(keys)
        needles = (re.escape(f"{_DEPS_SEP}{k}{_DEPS_SEP}") for k in sorted(keys))
        return cls(keys, re.compile("|".join(needles)))


Keys = frozenset[str] | StoredKeys
"""The sources an output read: as recorded by its render, or as loaded from the state."""


def each_key(deps: Keys) -> Iterable[str]:
    """The keys of a set, for one pass over them (a stored set is split, not kept split)."""
    return deps.each() if isinstance(deps, StoredKeys) else deps


def disjoint(deps: Keys, changed: Changed) -> bool:
    """Whether an output read none of the `changed` sources."""
    if isinstance(deps, StoredKeys):
        return deps.isdisjoint(changed)
    return deps.isdisjoint(changed.keys)


class Readers:
    """Which outputs read each source: a session asks it for the outputs the few sources
    a save changed touch, rather than asking 22,000 outputs' sets each save."""

    __slots__ = ("_by",)

    def __init__(self, entries: Iterable[tuple[str, Keys]] = ()) -> None:
        self._by: dict[str, set[str]] = {}
        for path, deps in entries:
            self.add(path, deps)

    def add(self, path: str, deps: Keys) -> None:
        for key in each_key(deps):
            found = self._by.get(key)
            if found is None:
                self._by[key] = {path}
            else:
                found.add(path)

    def remove(self, path: str, deps: Keys) -> None:
        for key in each_key(deps):
            found = self._by.get(key)
            if found is not None:
                found.discard(path)
                if not found:
                    del self._by[key]

    def of(self, keys: Iterable[str]) -> set[str]:
        """The outputs that read any of `keys`."""
        found: set[str] = set()
        for key in keys:
            found |= self._by.get(key, set())
        return found


class Entry(NamedTuple):
    """What one output file was made from and what it contains on disk (a tuple: a new
    process loads 22,000 of them, three times faster than as a frozen dataclass)."""

    fingerprint: str
    hash: str
    size: int
    mtime_ns: int
    inode: int
    deps: Keys = frozenset()
    """The sources its render read (see `deps.py`)."""

    def matches(self, st: os.stat_result) -> bool:
        """True when the file on disk is still the one this build wrote."""
        return (
            st.st_size == self.size and st.st_mtime_ns == self.mtime_ns and st.st_ino == self.inode
        )


class Part:
    """A part of a render as a persistent `deps.Memo` stores it: the sources it read, their
    fingerprint when it was made, and the part encoded. A part the state kept reads its
    encoded bytes only when asked (`read`): most builds only ask whether each of a
    hundred parts still holds, from its keys and fingerprint."""

    __slots__ = ("_data", "_read", "fingerprint", "keys")

    def __init__(
        self,
        keys: frozenset[str],
        fingerprint: str,
        data: bytes = b"",
        read: Callable[[], bytes] | None = None,
    ) -> None:
        self.keys, self.fingerprint = keys, fingerprint
        self._data, self._read = data, read

    @property
    def data(self) -> bytes:
        """The part encoded; ValueError when the state's bytes are not those recorded."""
        if self._read is not None:
            self._data, self._read = self._read(), None
        return self._data


def state_file(state_dir: Path, out: Path) -> Path:
    """Each output directory has its own state, so building elsewhere never confuses it."""
    key = hashlib.blake2b(os.fsencode(out.resolve()), digest_size=8).hexdigest()
    return state_dir / f"build-{key}.sqlite"


def prune_gone(state_dir: Path, current: Path) -> list[Path]:
    """Remove the states of output folders that are gone (each keeps the archive as
    loaded: 100 MB at 10,000 projects), all but `current`; the caller holds the archive's
    build lock. A state that does not name its folder (an older version's) is kept. The
    states removed."""
    removed: list[Path] = []
    for path in sorted(state_dir.glob("build-*.sqlite")):
        if path == current or not _regular(path):
            continue  # a pipe would hang the open, a link lead elsewhere
        try:
            # Immutable: read without a lock or a log file of its own; the row read is
            # written once, with the state's first record.
            db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro&immutable=1", uri=True)
            try:
                row = db.execute("SELECT value FROM meta WHERE key = 'out_path'").fetchone()
            finally:
                db.close()
        except sqlite3.Error:
            continue  # damaged, or not a state: the build of its folder handles it
        out = Path(row[0]) if row and row[0] else None
        if out is None or state_file(state_dir, out) != path or not _gone(out):
            continue
        for leftover in (
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
        ):
            leftover.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _gone(path: Path) -> bool:
    """Whether nothing is at `path` (not merely out of reach: then it is kept)."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


_TABLES = (
    "CREATE TABLE IF NOT EXISTS outputs (path TEXT PRIMARY KEY, fingerprint TEXT,"
    " hash TEXT, size INTEGER, mtime_ns INTEGER, inode INTEGER, deps TEXT) WITHOUT ROWID",
    # Which outputs read a set: a build that rewrites a few outputs drops the sets no
    # output reads any more by looking up those few, not by scanning every output.
    "CREATE INDEX IF NOT EXISTS outputs_by_deps ON outputs (deps)",
    "CREATE TABLE IF NOT EXISTS sources (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS depsets (id TEXT PRIMARY KEY, keys TEXT) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS textsets (id TEXT PRIMARY KEY, keys TEXT) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS derived (name TEXT PRIMARY KEY, deps TEXT) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS files (rel TEXT PRIMARY KEY, size INTEGER,"
    " ctime_ns INTEGER, inode INTEGER) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS kept (memo TEXT, name TEXT, keys TEXT, fingerprint TEXT,"
    " checksum TEXT, data_check INTEGER, data BLOB, PRIMARY KEY (memo, name)) WITHOUT ROWID",
    # The loaded archive (`archive.stored`): its tables, and each text by its file's path.
    # Checksums (CRC-32) catch a damaged row: the archive is then loaded from its files.
    "CREATE TABLE IF NOT EXISTS loaded (name TEXT PRIMARY KEY, checksum INTEGER, data BLOB)",
    "CREATE TABLE IF NOT EXISTS texts (rel TEXT PRIMARY KEY, checksum INTEGER, data BLOB)",
)
_STORED_TABLES = (
    "outputs",
    "sources",
    "depsets",
    "textsets",
    "derived",
    "files",
    "kept",
    "loaded",
    "texts",
)
_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)"


class BuildState:
    """Read and update the recorded outputs of one output directory."""

    def __init__(self, path: Path, engine: str) -> None:
        self.path = path
        self.engine = engine
        self._anew = path.with_name(f"{path.name}.new")
        self._files: dict[str, FileStat] | None = None
        self.db = sqlitefile.connect(path, (_META,), mapped=True)
        if self._meta("schema") not in (None, SCHEMA_VERSION):
            # Another version's tables: this engine's would not fit them.
            with self.db:
                for table in _STORED_TABLES:
                    self.db.execute(f"DROP TABLE IF EXISTS {table}")
                self.db.execute("DELETE FROM meta")
        for statement in _TABLES:
            self.db.execute(statement)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._anew)  # left by a build killed while recording

    def close(self) -> None:
        self.db.close()

    def valid(self) -> bool:
        """Whether the state was recorded by this engine, in this schema."""
        meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        return meta.get("schema") == SCHEMA_VERSION and meta.get("engine") == self.engine

    def entries(self) -> dict[str, Entry] | None:
        """The recorded outputs, or None when there is no valid state for this engine."""
        if not self.valid():
            return None
        sets = {
            key: StoredKeys(keys) for key, keys in self.db.execute("SELECT id, keys FROM depsets")
        }
        rows = self.db.execute(
            "SELECT path, fingerprint, hash, size, mtime_ns, inode, deps FROM outputs"
        ).fetchall()
        try:
            return {
                path: Entry(fp, hashed, size, mtime, inode, sets[read])
                for path, fp, hashed, size, mtime, inode, read in rows
            }
        except KeyError:
            return None  # a set lost (the file edited by hand): build as if there were none

    def entries_at(self, paths: Iterable[str]) -> dict[str, Entry] | None:
        """The recorded outputs at `paths` (those recorded), read alone: a build that knows
        which outputs it must compare reads a few hundred of 22,000. None as `entries`."""
        wanted = list(paths)
        rows: list[tuple[str, str, str, int, int, int, str]] = []
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ", ".join("?" * len(chunk))
            rows += self.db.execute(
                "SELECT path, fingerprint, hash, size, mtime_ns, inode, deps FROM outputs"
                f" WHERE path IN ({marks})",
                chunk,
            ).fetchall()
        ids = list({row[6] for row in rows})
        sets: dict[str, StoredKeys] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ", ".join("?" * len(chunk))
            found = self.db.execute(f"SELECT id, keys FROM depsets WHERE id IN ({marks})", chunk)
            sets.update((key, StoredKeys(keys)) for key, keys in found)
        try:
            return {
                path: Entry(fp, hashed, size, mtime, inode, sets[read])
                for path, fp, hashed, size, mtime, inode, read in rows
            }
        except KeyError:
            return None

    def paths(self) -> set[str]:
        """The paths of every recorded output."""
        return {path for (path,) in self.db.execute("SELECT path FROM outputs")}

    def readers(self, keys: Iterable[str]) -> set[str]:
        """The recorded outputs that read any of `keys`, found in the stored sets (one pass
        over them in the database, rather than loading 22,000 sets to ask each); texts'
        keys in the sets' text keys alone (a fifth of the bytes)."""
        wanted = list(keys)
        found: set[str] = set()
        for table, part in (
            ("textsets", [k for k in wanted if k.startswith(TEXT_KEYS)]),
            ("depsets", [k for k in wanted if not k.startswith(TEXT_KEYS)]),
        ):
            if not part:
                continue
            needles = [f"{_DEPS_SEP}{key}{_DEPS_SEP}" for key in part]
            sep = f"char({ord(_DEPS_SEP)})"
            match = " OR ".join(f"instr({sep} || keys || {sep}, ?) > 0" for _ in needles)
            rows = self.db.execute(
                f"SELECT path FROM outputs WHERE deps IN (SELECT id FROM {table} WHERE {match})",
                needles,
            )
            found.update(path for (path,) in rows)
        return found

    def derived(self) -> dict[str, frozenset[str]]:
        """The sources each derived table was last made from (a table whose set was lost
        is left out: it is made again)."""
        rows = self.db.execute(
            "SELECT name, keys FROM derived JOIN depsets ON depsets.id = derived.deps"
        )
        return {
            name: frozenset(keys.split(_DEPS_SEP)) if keys else frozenset() for name, keys in rows
        }

    def sources(self) -> dict[str, str]:
        """What each source held when the outputs that read it were last rendered."""
        return dict(self.db.execute("SELECT key, value FROM sources").fetchall())

    def sources_under(self, prefix: str) -> dict[str, str]:
        """The recorded sources whose keys start with `prefix` (a range of the table's key,
        not a pass over every source)."""
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        rows = self.db.execute(
            "SELECT key, value FROM sources WHERE key >= ? AND key < ?", (prefix, end)
        )
        return dict(rows.fetchall())

    def files(self) -> dict[str, FileStat]:
        """The archive's files as the last build read them (`contentfs.scan`), read once
        per build (its load and its plan both ask); the caller must not change them."""
        if self._files is None:
            rows = self.db.execute("SELECT rel, size, ctime_ns, inode FROM files")
            self._files = {rel: (size, ctime, inode) for rel, size, ctime, inode in rows}
        return self._files

    def kept(self, memo: str) -> dict[str, Part]:
        """The parts a persistent memo stored (`deps.Memo`), by name; a part whose keys
        and fingerprint do not match their checksum (a damaged or hand-edited row) is
        left out: made again. Its bytes are read, and checked, when asked (`Part.data`)."""
        found: dict[str, Part] = {}
        rows = self.db.execute(
            "SELECT name, keys, fingerprint, checksum, data_check FROM kept WHERE memo = ?",
            (memo,),
        )
        for name, keys, fingerprint, checksum, check in rows:
            if isinstance(check, int) and checksum == _part_checksum(keys, fingerprint, check):
                read = partial(self._part_data, memo, name, check)
                found[name] = Part(frozenset(keys.split(_DEPS_SEP)), fingerprint, read=read)
        return found

    def _part_data(self, memo: str, name: str, check: int) -> bytes:
        """A kept part's bytes, if they are those recorded (else ValueError)."""
        try:
            row = self.db.execute(
                "SELECT data FROM kept WHERE memo = ? AND name = ?", (memo, name)
            ).fetchone()
        except sqlite3.Error as exc:
            raise ValueError(f"kept part {memo}/{name} unreadable: {exc}") from exc
        data = None if row is None else row[0]
        if not isinstance(data, bytes) or zlib.crc32(data) != check:
            raise ValueError(f"kept part {memo}/{name} is not as recorded")
        return data

    def loaded(self) -> tuple[bytes, list[tuple[str, str]]] | None:
        """The archive as the last build loaded it: its encoded tables and its texts by
        path (`archive.stored`); None when not stored, stored by another format, or any
        row of it is damaged or missing."""
        if self._meta("loaded") != _stored_format():
            return None
        row = self.db.execute("SELECT checksum, data FROM loaded WHERE name = 'tables'").fetchone()
        if row is None or not isinstance(row[1], bytes) or zlib.crc32(row[1]) != row[0]:
            return None
        texts: list[tuple[str, str]] = []
        crc32 = zlib.crc32
        for rel, checksum, data in self.db.execute("SELECT rel, checksum, data FROM texts"):
            if not isinstance(data, bytes) or crc32(data) != checksum:
                return None
            try:
                texts.append((rel, data.decode("utf-8")))
            except UnicodeDecodeError:
                return None
        if self._meta("loaded_texts") != str(len(texts)):
            return None
        return row[1], texts

    def base_url(self) -> str | None:
        """The base URL the last build's site was made for (settings or `--base-url`)."""
        return self._meta("base_url")

    def setup(self) -> str | None:
        """The signature of what the last build read besides the archive (`setup_signature`)."""
        return self._meta("setup")

    def count(self) -> int:
        """How many outputs are recorded."""
        return int(self.db.execute("SELECT count(*) FROM outputs").fetchone()[0])

    def inputs(self) -> str | None:
        """The input signature recorded by the last successful build."""
        return self._meta("inputs")

    def forget_out(self) -> None:
        """Stop vouching for the tree in the output directory (it is about to be replaced)."""
        with self.db:
            self.db.execute("DELETE FROM meta WHERE key = 'out'")

    def out_id(self) -> str | None:
        """The identity of the output directory the last successful build wrote into."""
        return self._meta("out")

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def record(
        self,
        entries: Iterable[tuple[str, Entry]],
        removed: Iterable[str],
        sources: Iterable[tuple[str, str]],
        *,
        replace_all: bool,
        inputs: str,
        out_id: str,
        out_path: str = "",
        derived: Iterable[tuple[str, frozenset[str]]] = (),
        setup: str = "",
        files: Iterable[tuple[str, FileStat]] = (),
        files_gone: Iterable[str] = (),
        kept: Iterable[tuple[str, str, Part]] = (),
        base_url: str = "",
        loaded: stored.Changes | None = None,
    ) -> None:
        """Store the outcome of a published build (into `out_path`, whose folder is
        `out_id`) in one transaction; `derived` are the
        derived tables made in it, with the sources each read; `files` the archive's files
        whose stat is new since the last record, `files_gone` those no longer there;
        `kept` the parts persistent memos made in it (memo, name, part); `loaded` what
        changed of the archive as loaded from those files (None: it is not kept)."""
        ids: dict[object, tuple[str, str]] = {}
        rows = [
            (p, e.fingerprint, e.hash, e.size, e.mtime_ns, e.inode, _set_id(e.deps, ids))
            for p, e in entries
        ]
        made = [(name, _set_id(keys, ids)) for name, keys in derived]
        meta = (
            ("schema", SCHEMA_VERSION),
            ("engine", self.engine),
            ("inputs", inputs),
            ("out", out_id),
            ("out_path", out_path),
            ("setup", setup),
            ("base_url", base_url),
            ("loaded", "" if loaded is None else _stored_format()),
        )
        record = _Record(
            rows, made, list(dict(ids.values()).items()), sources, files, kept, meta, loaded
        )
        self._files = None
        if replace_all:
            record = record.listed()  # read twice at worst
            if self._record_anew(record):
                return
        removed = list(removed)
        with self.db:
            self.db.execute("BEGIN")
            # The sets the outputs and tables rewritten or removed here read until now: the
            # only ones this record can leave unread.
            replaced = set() if replace_all else self._sets_of([r[0] for r in rows] + removed)
            replaced.update(
                deps
                for name, _ in made
                for (deps,) in self.db.execute("SELECT deps FROM derived WHERE name = ?", (name,))
            )
            if replace_all:
                for table in _STORED_TABLES:
                    self.db.execute(f"DELETE FROM {table}")
            record.write(self.db)
            self.db.executemany("DELETE FROM files WHERE rel = ?", ((r,) for r in files_gone))
            self.db.executemany("DELETE FROM outputs WHERE path = ?", ((p,) for p in removed))
            if not replace_all:
                self.db.executemany(
                    "DELETE FROM depsets WHERE id = ?1"
                    " AND NOT EXISTS (SELECT 1 FROM outputs WHERE deps = ?1)"
                    " AND NOT EXISTS (SELECT 1 FROM derived WHERE deps = ?1)",
                    ((deps,) for deps in replaced),
                )
                self.db.executemany(
                    "DELETE FROM textsets WHERE id = ?1"
                    " AND NOT EXISTS (SELECT 1 FROM depsets WHERE id = ?1)",
                    ((deps,) for deps in replaced),
                )

    def _record_anew(self, record: _Record) -> bool:
        """A whole record (a cold build's) written to a new file that then replaces the
        state, faster than deleting every row and writing each twice through the log
        (0.87 -> 0.59 s at 10,000 projects). The new file is complete on disk before it
        is put in place, so a build killed at any moment leaves one state or the other.
        False when the state cannot be replaced (a connection other than this one is
        open), with nothing changed: then it is rewritten in place."""
        try:
            new = sqlite3.connect(self._anew, isolation_level=None)
            try:
                new.execute("PRAGMA journal_mode=OFF")  # nobody reads it until it is whole
                new.execute("PRAGMA synchronous=OFF")
                new.execute("BEGIN")
                for statement in (_META, *_TABLES):
                    new.execute(statement)
                record.write(new)
                new.execute("COMMIT")
            finally:
                new.close()
            fd = os.open(self._anew, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            self.db.close()  # the last connection: its log is folded in and removed
            try:
                if os.path.exists(f"{self.path}-wal"):
                    return False  # another connection keeps the log: not ours to replace
                os.replace(self._anew, self.path)
                return True
            finally:
                self.db = sqlitefile.connect(self.path, (_META,), mapped=True)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._anew)

    def _sets_of(self, paths: list[str]) -> set[str]:
        """The ids of the sets the recorded outputs at `paths` read."""
        found: set[str] = set()
        for i in range(0, len(paths), 500):
            chunk = paths[i : i + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT deps FROM outputs WHERE path IN ({marks})", chunk)
            found.update(deps for (deps,) in rows)
        return found


@dataclass(frozen=True, slots=True)
class _Record:
    """The rows `BuildState.record` writes: into the state, or into a new file."""

    outputs: list[tuple[str, str, str, int, int, int, str]]
    derived: list[tuple[str, str]]
    depsets: list[tuple[str, str]]
    sources: Iterable[tuple[str, str]]
    files: Iterable[tuple[str, FileStat]]
    kept: Iterable[tuple[str, str, Part]]
    meta: Iterable[tuple[str, str]]
    loaded: stored.Changes | None

    def listed(self) -> _Record:
        """The same rows, each iterable made a list, so that they can be written twice."""
        return replace(
            self, sources=list(self.sources), files=list(self.files), kept=list(self.kept)
        )

    def write(self, db: sqlite3.Connection) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO kept VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    memo,
                    name,
                    keys,
                    p.fingerprint,
                    _part_checksum(keys, p.fingerprint, check),
                    check,
                    data,
                )
                for memo, name, p in self.kept
                for keys, data in [(_DEPS_SEP.join(sorted(p.keys)), p.data)]
                for check in [zlib.crc32(data)]
            ),
        )
        db.executemany(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)",
            ((rel, *st) for rel, st in self.files),
        )
        db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?, ?, ?, ?)", self.outputs)
        db.executemany("INSERT OR REPLACE INTO derived VALUES (?, ?)", self.derived)
        db.executemany("INSERT OR IGNORE INTO depsets VALUES (?, ?)", self.depsets)
        db.executemany(
            "INSERT OR IGNORE INTO textsets VALUES (?, ?)",
            (
                (
                    set_id,
                    _DEPS_SEP.join(k for k in joined.split(_DEPS_SEP) if k.startswith(TEXT_KEYS)),
                )
                for set_id, joined in self.depsets
                if TEXT_KEYS in joined
            ),
        )
        db.executemany("INSERT OR REPLACE INTO sources VALUES (?, ?)", self.sources)
        db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", self.meta)
        loaded = self.loaded
        if loaded is None or loaded.whole:
            db.execute("DELETE FROM texts")
        if loaded is None:
            db.execute("DELETE FROM loaded")
            return
        if loaded.tables is not None:
            db.execute(
                "INSERT OR REPLACE INTO loaded VALUES ('tables', ?, ?)",
                (zlib.crc32(loaded.tables), loaded.tables),
            )
        db.executemany("DELETE FROM texts WHERE rel = ?", ((rel,) for rel in loaded.gone))
        db.executemany(
            "INSERT OR REPLACE INTO texts VALUES (?, ?, ?)",
            (
                (rel, zlib.crc32(data), data)
                for rel, text in loaded.texts
                for data in [text.encode("utf-8", "surrogatepass")]
            ),
        )
        # How many texts there are: a row lost is told from a text that is empty.
        db.execute("INSERT OR REPLACE INTO meta SELECT 'loaded_texts', count(*) FROM texts")


def _stored_format() -> str:
    """The kept archive's format (`archive.stored`), imported only when asked: a build
    with nothing to do neither reads nor records the archive."""
    from ..archive import stored

    return stored.FORMAT


def recorded_stats(
    path: Path, part: int = 0, parts: int = 1, count: int = 0
) -> list[tuple[str, int, int, int]]:
    """(path, size, mtime_ns, inode) of every output the state at `path` records, or of
    the `part`th of `parts` runs of them in path order (of `count` in all), read on a
    connection of its own: a forked child may read them so (a connection must not cross
    a fork)."""
    db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        query = "SELECT path, size, mtime_ns, inode FROM outputs"
        if parts == 1:
            return db.execute(query).fetchall()
        start, end = part * count // parts, (part + 1) * count // parts
        last = part == parts - 1  # takes any recorded since `count` was
        return db.execute(
            f"{query} ORDER BY path LIMIT ? OFFSET ?", (-1 if last else end - start, start)
        ).fetchall()
    finally:
        db.close()


def _part_checksum(keys: str, fingerprint: str, data_check: int) -> str:
    """The checksum of a kept part's keys and fingerprint, and of its bytes' own checksum
    (`data_check`, checked when they are read)."""
    text = f"{keys}\0{fingerprint}\0{data_check}"
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _set_id(deps: Keys, ids: dict[object, tuple[str, str]]) -> str:
    """The id of a set of sources, a digest of its sorted keys joined, computed once per
    distinct set (by the set itself, or by its joined form). `ids` maps each set seen to
    (id, joined keys)."""
    by: object = deps.joined if isinstance(deps, StoredKeys) else deps
    found = ids.get(by)
    if found is None:
        joined = by if isinstance(by, str) else _DEPS_SEP.join(sorted(deps))
        digest = hashlib.blake2b(joined.encode("utf-8", "surrogatepass"), digest_size=12)
        found = ids[by] = (digest.hexdigest(), joined)
    return found[0]


def tree_stats(root: Path, skip: str = "") -> dict[str, FileStat]:
    """The stat of every file under `root` by POSIX path relative to it, as (size,
    mtime_ns, inode): the engine's own code, whose times nothing sets back (the archive's
    files are stat'ed by `contentfs.scan`, by change time). Skips folders
    named `skip` and `__pycache__` (and, as `os.walk` does, links to folders)."""
    found: dict[str, FileStat] = {}
    folders = [(os.fspath(root), "")]
    while folders:
        folder, prefix = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            try:
                if entry.is_dir():
                    if entry.name not in (skip, "__pycache__") and not entry.is_symlink():
                        folders.append((entry.path, f"{prefix}{entry.name}/"))
                    continue
                st = entry.stat()
            except FileNotFoundError:
                continue
            found[prefix + entry.name] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return found


def stats_digest(stats: dict[str, FileStat]) -> str:
    """Digest of file names and stats, independent of the order they were found in."""
    return _lines_digest([_line(rel, st) for rel, st in sorted(stats.items())])


def _line(rel: str, st: FileStat) -> str:
    return f"{rel}\0{st[0]}\0{st[1]}\0{st[2]}"


def _lines_digest(lines: list[str]) -> str:
    h = hashlib.blake2b("\n".join(lines).encode("utf-8", "surrogatepass"), digest_size=16)
    return h.hexdigest()


class ScanDigests:
    """`stats_digest` of a session's successive scans of one archive, each made from the
    last by the files that changed (a save changes a few of 10,000): the lines of the
    others are not made, nor sorted, again."""

    def __init__(self) -> None:
        self._last: dict[str, FileStat] | None = None
        self._lines: list[str] = []
        self._at: dict[str, int] = {}

    def digest(self, stats: dict[str, FileStat]) -> str:
        last, at = self._last, self._at
        changed = None if last is None else contentfs.changed(stats, last)
        if changed is not None and all(rel in at and rel in stats for rel in changed):
            for rel in changed:
                self._lines[at[rel]] = _line(rel, stats[rel])
        else:
            ordered = sorted(stats.items())
            self._lines = [_line(rel, st) for rel, st in ordered]
            self._at = {rel: n for n, (rel, _) in enumerate(ordered)}
        self._last = stats
        return _lines_digest(self._lines)


def tree_signature(roots: Iterable[Path], skip: str = "") -> str:
    """Digest of the names and stats of every file under `roots` (see `FileStat`)."""
    return stats_digest(
        {
            f"{os.fspath(root)}\0{rel}": st
            for root in roots
            for rel, st in tree_stats(root, skip).items()
        }
    )
