"""Browser sessions: a random cookie whose hash is stored, with creation, last use,
expiry and revocation. `SessionStore.open` is the one way a person signs in (invite join
now, OAuth later: `api.signin.sign_in`); the CSRF token of a session is derived from its cookie."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from ..services.editor import Editor, Role
from ..services.errors import NotFound
from .db import AccessDb, now_utc, secret_hash, when

PREFIX = "jds_"
COOKIE = "jamdat_session"
DEFAULT_LIFETIME = timedelta(days=14)
TOUCH_EVERY = timedelta(minutes=1)
"""How stale `last_seen` may get: writing it on every request would cost a transaction."""
_COLUMNS = "id, user, role, created_at, last_seen, expires_at, revoked_at"


@dataclass(frozen=True, slots=True)
class Session:
    """A session's public record (never its cookie)."""

    id: str
    user: str
    role: Role
    created_at: datetime
    last_seen: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    @property
    def editor(self) -> Editor:
        return Editor(self.user, self.role)

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "ok"

    def public(self, now: datetime) -> dict[str, object]:
        return {
            "id": self.id,
            "user": self.user,
            "role": self.role,
            "status": self.status(now),
            "created_at": self.created_at.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def csrf_token(cookie: str) -> str:
    """The session's synchronizer token: derived from its cookie (so nothing more is
    stored), and revealing nothing about it."""
    return hmac.new(cookie.encode(), b"jamdat csrf", hashlib.sha256).hexdigest()


def csrf_ok(cookie: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(cookie), str(presented))


def _record(row: tuple[object, ...]) -> Session:
    sid, user, role, created, seen, expires, revoked = row
    created_at, last_seen, expires_at = (when(cast(str, t)) for t in (created, seen, expires))
    assert created_at and last_seen and expires_at
    return Session(
        cast(str, sid),
        cast(str, user),
        cast(Role, role),
        created_at,
        last_seen,
        expires_at,
        when(cast("str | None", revoked)),
    )


class SessionStore:
    """Open, check, list and revoke sessions."""

    def __init__(self, db: AccessDb, lifetime: timedelta = DEFAULT_LIFETIME) -> None:
        self.db = db
        self.lifetime = lifetime

    def open(self, editor: Editor) -> tuple[str, Session]:
        """A new session for `editor`; returns (the cookie value, its record)."""
        now = now_utc()
        expires = now + self.lifetime
        with self.db.write() as db:
            while True:
                sid = secrets.token_hex(4)
                cookie = f"{PREFIX}{sid}_{secrets.token_urlsafe(32)}"
                try:
                    db.execute(
                        f"INSERT INTO sessions ({_COLUMNS}, hash) VALUES (?,?,?,?,?,?,?,?)",
                        (
                            sid,
                            editor.user,
                            editor.role,
                            now.isoformat(),
                            now.isoformat(),
                            expires.isoformat(),
                            None,
                            secret_hash(cookie),
                        ),
                    )
                    break
                except sqlite3.IntegrityError:
                    continue
        return cookie, Session(sid, editor.user, editor.role, now, now, expires)

    def verify(self, cookie: str) -> Session | None:
        """The live session of a cookie, or None (unknown, expired or revoked)."""
        if not cookie.startswith(PREFIX) or len(cookie) > 200:
            return None
        now = now_utc()
        with self.db.read() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM sessions WHERE hash = ?", (secret_hash(cookie),)
            ).fetchone()
            if row is None:
                return None
            session = _record(row)
            if session.status(now) != "ok":
                return None
            if now - session.last_seen >= TOUCH_EVERY:
                db.execute(
                    "UPDATE sessions SET last_seen = ? WHERE id = ?", (now.isoformat(), session.id)
                )
        return session

    def list(self, user: str | None = None) -> list[Session]:
        query = f"SELECT {_COLUMNS} FROM sessions"
        args: tuple[str, ...] = ()
        if user is not None:
            query, args = query + " WHERE user = ?", (user,)
        with self.db.read() as db:
            rows = db.execute(query + " ORDER BY created_at, id", args).fetchall()
        return [_record(r) for r in rows]

    def revoke(self, session_id: str, user: str | None = None) -> Session:
        """Revoke one session (only `user`'s, when given); harmless twice."""
        where, args = "id = ?", [session_id]
        if user is not None:
            where, args = where + " AND user = ?", [session_id, user]
        with self.db.write() as db:
            db.execute(
                f"UPDATE sessions SET revoked_at = ? WHERE {where} AND revoked_at IS NULL",
                [now_utc().isoformat(), *args],
            )
            row = db.execute(f"SELECT {_COLUMNS} FROM sessions WHERE {where}", args).fetchone()
        if row is None:
            raise NotFound(f"no session with id {session_id!r}")
        return _record(row)

    def revoke_user(self, user: str) -> int:
        """Sign `user` out everywhere, unused sign-in links included; returns how many
        live sessions ended."""
        now = now_utc().isoformat()
        with self.db.write() as db:
            cursor = db.execute(
                "UPDATE sessions SET revoked_at = ? WHERE user = ? AND revoked_at IS NULL",
                (now, user),
            )
            db.execute(
                "UPDATE signin_links SET revoked_at = ? WHERE user = ? AND used_at IS NULL "
                "AND revoked_at IS NULL",
                (now, user),
            )
            return cursor.rowcount
