"""The HTTP cache of sync: validators (ETag, Last-Modified) and bodies per URL, in sqlite.

Lives in `<content>/.jamdat/sync-cache.sqlite` (never committed). Bodies are kept so a
`304 Not Modified` answer can be reconciled like a full one, and so that a repository
whose metadata did not change needs no further requests. Writes are buffered and
flushed in one transaction; the file is only created once there is something to keep.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    url TEXT PRIMARY KEY,
    status INTEGER NOT NULL,
    etag TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    content_type TEXT NOT NULL,
    final_url TEXT NOT NULL,
    body BLOB NOT NULL,
    stored_at REAL NOT NULL,
    next_url TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """A successful answer as it was last received, or a remembered 404."""

    url: str
    etag: str
    last_modified: str
    content_type: str
    final_url: str
    body: bytes
    status: int = 200
    """200 for an answer; 404 or 410 when the resource was missing."""
    next_url: str = ""
    """The next page of a listing, since a 304 need not repeat the `Link` header."""

    def conditional_headers(self) -> dict[str, str]:
        """Headers that let the server answer `304` when nothing changed."""
        headers: dict[str, str] = {}
        if self.status != 200:
            return headers
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class HttpCache:
    """URL -> last successful response; reads see buffered writes."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        """Keep new entries in memory only (a dry run writes no file)."""
        self._db: sqlite3.Connection | None = None
        self._pending: dict[str, CachedResponse] = {}

    def _connect(self, create: bool) -> sqlite3.Connection | None:
        if self._db is None and (create or self.path.exists()):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                db.execute("DROP TABLE IF EXISTS responses")
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def get(self, url: str) -> CachedResponse | None:
        if url in self._pending:
            return self._pending[url]
        db = self._connect(create=False)
        if db is None:
            return None
        row = db.execute(
            "SELECT etag, last_modified, content_type, final_url, body, status, next_url"
            " FROM responses WHERE url = ?",
            (url,),
        ).fetchone()
        if row is None:
            return None
        return CachedResponse(url, row[0], row[1], row[2], row[3], bytes(row[4]), row[5], row[6])

    def put(self, entry: CachedResponse) -> None:
        self._pending[entry.url] = entry

    @property
    def pending(self) -> int:
        return len(self._pending)

    def flush(self) -> None:
        """Write buffered entries in one transaction."""
        if not self._pending or self.read_only:
            return
        db = self._connect(create=True)
        assert db is not None
        now = time.time()
        rows = [
            (
                e.url,
                e.status,
                e.etag,
                e.last_modified,
                e.content_type,
                e.final_url,
                e.body,
                now,
                e.next_url,
            )
            for e in self._pending.values()
        ]
        db.execute("BEGIN")
        try:
            db.executemany(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._pending.clear()

    def close(self) -> None:
        """Flush and close."""
        self.flush()
        if self._db is not None:
            self._db.close()
            self._db = None
