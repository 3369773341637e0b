"""The access database: invites, accounts and sessions in the tokens' SQLite file."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ..tokens import _SCHEMA as TOKENS_SCHEMA
from ..userstate import tokens_file

SCHEMA = (
    TOKENS_SCHEMA,
    """
    CREATE TABLE IF NOT EXISTS invites (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        event TEXT NOT NULL,
        role TEXT NOT NULL,
        uses INTEGER NOT NULL,
        used INTEGER NOT NULL DEFAULT 0,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS accounts (
        key TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        role TEXT NOT NULL,
        invite TEXT,
        created_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        user TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS oauth_states (
        hash TEXT PRIMARY KEY,
        browser TEXT NOT NULL,
        provider TEXT NOT NULL,
        verifier TEXT NOT NULL,
        invite TEXT,
        next TEXT NOT NULL,
        expires_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS oauth_pending (
        hash TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        subject TEXT NOT NULL,
        login TEXT NOT NULL,
        fullname TEXT NOT NULL,
        webpage_url TEXT NOT NULL,
        avatar_url TEXT NOT NULL,
        invite TEXT NOT NULL,
        next TEXT NOT NULL,
        expires_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS identities (
        provider TEXT NOT NULL,
        subject TEXT NOT NULL,
        username TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (provider, subject)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS signin_links (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        user TEXT NOT NULL,
        role TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        revoked_at TEXT
    )
    """,
)


def secret_hash(secret: str) -> str:
    """SHA-256 of a random secret (invite code, session cookie): enough for 128+ bits."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class AccessDb:
    """One connection to the access database, shared by threads under a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    @classmethod
    def of(cls, content: Path) -> AccessDb:
        return cls(tokens_file(content))

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():  # hashes only, but nobody else's business
                self.path.touch(mode=0o600)
            db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=10
            )
            db.execute("PRAGMA journal_mode=WAL")
            for statement in SCHEMA:
                db.execute(statement)
            self._db = db
        return self._db

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction that other processes (the CLI, other workers) cannot interleave."""
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
