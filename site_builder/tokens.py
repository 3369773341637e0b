"""Bearer tokens of the edit API: only a hash is stored, outside the archive.

A token reads `jdt_<id>_<secret>`. The id is public (lists, revocation, logs); the whole
token is shown once when created. The database lives outside `content/` (see
`tokens_file`), so no commit, copy or export of an archive can carry it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, cast, get_args

from .archive import state_dir
from .errors import JamdatError
from .services.editor import Editor, Role
from .userstate import tokens_file

ROLES: tuple[Role, ...] = get_args(Role)
PREFIX = "jdt_"
USER_RE = re.compile(r"^[^,\s\x00-\x1f][^,\x00-\x1f]{0,79}$")
"""A username as it appears in a project's comma-separated `team`."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    user TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
)
"""

Verdict = Literal["ok", "unknown", "revoked", "expired"]


@dataclass(frozen=True, slots=True)
class Token:
    """A token's public record: who it speaks for and whether it still does."""

    id: str
    role: Role
    user: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def editor(self) -> Editor:
        return Editor(self.user, self.role)

    def status(self, now: datetime) -> Verdict:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "ok"


def _move_old_tokens(content: Path, path: Path) -> None:
    """Tokens kept by earlier versions in `<content>/.jamdat/` move to `path` once."""
    old = state_dir(content) / "tokens.sqlite"
    if old.is_file() and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(old, path)


def token_hash(token: str) -> str:
    """SHA-256 of the token: tokens carry 256 random bits, so a fast hash is enough."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class TokenStore:
    """Create, verify, list and revoke tokens; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    @classmethod
    def of(cls, content: Path) -> TokenStore:
        path = tokens_file(content)
        _move_old_tokens(content, path)
        return cls(path)

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():  # hashes only, but nobody else's business
                self.path.touch(mode=0o600)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)
            self._db = db
        return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def create(
        self, role: str, user: str, expires_in: timedelta | None = None
    ) -> tuple[str, Token]:
        """A new token for `user` with `role`; returns (the secret token, its record)."""
        if role not in ROLES:
            raise JamdatError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        if not USER_RE.match(user) or user != user.strip():
            raise JamdatError(
                f"invalid user name {user!r}: use the username as listed in projects' team "
                "(no commas, no leading or trailing spaces, at most 80 characters)"
            )
        now = datetime.now(UTC).replace(microsecond=0)
        expires = now + expires_in if expires_in is not None else None
        with self._lock:
            db = self._conn()
            while True:
                token_id = secrets.token_hex(4)
                secret = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
                try:
                    db.execute(
                        "INSERT INTO tokens (id, hash, role, user, created_at, expires_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            token_id,
                            token_hash(secret),
                            role,
                            user,
                            now.isoformat(),
                            expires.isoformat() if expires else None,
                        ),
                    )
                    break
                except sqlite3.IntegrityError:
                    continue  # id collision: draw another
        return secret, Token(token_id, role, user, now, expires)

    def verify(self, secret: str) -> tuple[Verdict, Token | None]:
        """What a presented token is worth: ("ok", token) or why not."""
        if not secret.startswith(PREFIX) or len(secret) > 200:
            return "unknown", None
        with self._lock:
            row = (
                self._conn()
                .execute(
                    "SELECT id, role, user, created_at, expires_at, revoked_at FROM tokens "
                    "WHERE hash = ?",
                    (token_hash(secret),),
                )
                .fetchone()
            )
        if row is None:
            return "unknown", None
        token = _record(row)
        return token.status(datetime.now(UTC)), token

    def revoke(self, token: str) -> Token:
        """Revoke by id (as listed) or by the token itself; revoking twice is harmless."""
        key = token.strip()
        column = "hash" if key.startswith(PREFIX) else "id"
        value = token_hash(key) if column == "hash" else key
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        with self._lock:
            db = self._conn()
            db.execute(
                f"UPDATE tokens SET revoked_at = ? WHERE {column} = ? AND revoked_at IS NULL",
                (now, value),
            )
            row = db.execute(
                "SELECT id, role, user, created_at, expires_at, revoked_at FROM tokens "
                f"WHERE {column} = ?",
                (value,),
            ).fetchone()
        if row is None:
            raise JamdatError(f"no token with id {key!r} in {self.path} (see `jamdat token list`)")
        return _record(row)

    def list(self) -> list[Token]:
        with self._lock:
            rows = (
                self._conn()
                .execute(
                    "SELECT id, role, user, created_at, expires_at, revoked_at FROM tokens "
                    "ORDER BY created_at, id"
                )
                .fetchall()
            )
        return [_record(row) for row in rows]


def _record(row: tuple[str, str, str, str, str | None, str | None]) -> Token:
    token_id, role, user, created, expires, revoked = row
    created_at = _time(created)
    assert created_at is not None
    return Token(token_id, cast(Role, role), user, created_at, _time(expires), _time(revoked))
