"""Invites: single-purpose join links for one event and role, with a number of uses, an
expiry and revocation. The code carries 192 random bits and is shown once; only its hash
is stored."""

from __future__ import annotations

import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from ..errors import JamdatError, Problem
from ..services.editor import Editor, Role
from ..services.errors import Conflict, EditError, Forbidden, Invalid, NotFound
from ..tokens import ROLES
from .db import AccessDb, now_utc, secret_hash, when

PREFIX = "jdi_"
MAX_USES = 10_000
_COLUMNS = "id, event, role, uses, used, created_by, created_at, expires_at, revoked_at"
_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class InviteGone(EditError):
    """A join with an invite that can no longer be used (used up, expired, revoked)."""


def _invalid(field: str, message: str) -> Invalid:
    return Invalid([Problem("invites", message, None, field)])


@dataclass(frozen=True, slots=True)
class Invite:
    """An invite's public record (never its code)."""

    id: str
    event: str
    role: Role
    uses: int
    used: int
    created_by: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        if self.used >= self.uses:
            return "used"
        return "open"

    def public(self, now: datetime) -> dict[str, object]:
        return {
            "id": self.id,
            "event": self.event,
            "role": self.role,
            "uses": self.uses,
            "used": self.used,
            "status": self.status(now),
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def parse_expiry(text: str, now: datetime | None = None) -> datetime:
    """`7d`, `12h`, `30m`, `2w` from now, or an ISO 8601 time (UTC when it has no zone)."""
    now = now or now_utc()
    value = text.strip()
    match = _DURATION.match(value.lower())
    if match:
        amount = int(match.group(1))
        if amount <= 0:
            raise JamdatError(f"expiry {text!r} must be a positive duration")
        return now + timedelta(**{_UNITS[match.group(2)]: amount})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise JamdatError(
            f"expiry {text!r} is neither a duration (30m, 12h, 7d, 2w) nor an ISO 8601 time "
            "(2026-05-01T18:00+02:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=now.tzinfo)
    if moment <= now:
        raise JamdatError(f"expiry {text!r} is in the past")
    return moment


def _record(row: tuple[object, ...]) -> Invite:
    iid, event, role, uses, used, by, created, expires, revoked = row
    created_at = when(cast(str, created))
    assert created_at is not None
    return Invite(
        cast(str, iid),
        cast(str, event),
        cast(Role, role),
        cast(int, uses),
        cast(int, used),
        cast(str, by),
        created_at,
        when(cast("str | None", expires)),
        when(cast("str | None", revoked)),
    )


class InviteStore:
    """Create, list, revoke and spend invites (CLI and API share it)."""

    def __init__(self, db: AccessDb) -> None:
        self.db = db

    def create(
        self,
        editor: Editor,
        event: str,
        role: str = "member",
        uses: int = 1,
        expires_at: datetime | None = None,
    ) -> tuple[str, Invite]:
        """A new invite; returns (its code, shown only now, and its record)."""
        if not editor.is_organiser:
            raise Forbidden("only organisers may create invites")
        if role not in ROLES:
            raise _invalid("role", f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        if not 1 <= uses <= MAX_USES:
            raise _invalid("uses", f"must be between 1 and {MAX_USES}, not {uses}")
        now = now_utc()
        if expires_at is not None and expires_at <= now:
            raise _invalid("expires_at", "is in the past: the invite could never be used")
        with self.db.write() as db:
            while True:
                iid = secrets.token_hex(4)
                code = f"{PREFIX}{secrets.token_urlsafe(24)}"
                try:
                    db.execute(
                        f"INSERT INTO invites ({_COLUMNS}, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (
                            iid,
                            event,
                            role,
                            uses,
                            0,
                            editor.user,
                            now.isoformat(),
                            expires_at.isoformat() if expires_at else None,
                            None,
                            secret_hash(code),
                        ),
                    )
                    break
                except sqlite3.IntegrityError:
                    continue
        return code, Invite(iid, event, role, uses, 0, editor.user, now, expires_at)

    def list(self) -> list[Invite]:
        with self.db.read() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM invites ORDER BY created_at, id").fetchall()
        return [_record(r) for r in rows]

    def revoke(self, editor: Editor, invite_id: str) -> Invite:
        if not editor.is_organiser:
            raise Forbidden("only organisers may revoke invites")
        with self.db.write() as db:
            db.execute(
                "UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (now_utc().isoformat(), invite_id.strip()),
            )
            row = db.execute(
                f"SELECT {_COLUMNS} FROM invites WHERE id = ?", (invite_id.strip(),)
            ).fetchone()
        if row is None:
            raise NotFound(f"no invite with id {invite_id!r} (see `jamdat invite list`)")
        return _record(row)

    def find(self, code: str) -> Invite | None:
        """The invite of a code, usable or not; None for a code that was never issued."""
        if not code.startswith(PREFIX) or len(code) > 100:
            return None
        with self.db.read() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM invites WHERE hash = ?", (secret_hash(code),)
            ).fetchone()
        return _record(row) if row else None

    def claim(self, code: str, username: str) -> Invite:
        """Spend one use of the invite and reserve `username` (case-insensitively) for its
        holder, in one transaction: of two people racing for the last use, one wins."""
        refused = NotFound("this invite link is not valid: ask an organiser for a new one")
        if not code.startswith(PREFIX) or len(code) > 100:
            raise refused
        now = now_utc()
        with self.db.write() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM invites WHERE hash = ?", (secret_hash(code),)
            ).fetchone()
            if row is None:
                raise refused
            invite = _record(row)
            status = invite.status(now)
            if status != "open":
                raise InviteGone(
                    {
                        "revoked": "this invite was revoked: ask an organiser for a new one",
                        "expired": "this invite has expired: ask an organiser for a new one",
                        "used": "this invite has been used up: ask an organiser for a new one",
                    }[status]
                )
            if taken_account(db, username):
                raise Conflict(f"username {username!r} is taken: choose another")
            db.execute(
                "INSERT INTO accounts (key, username, role, invite, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (username.casefold(), username, invite.role, invite.id, now.isoformat()),
            )
            db.execute("UPDATE invites SET used = used + 1 WHERE id = ?", (invite.id,))
        return invite

    def release(self, invite: Invite, username: str) -> None:
        """Undo a claim whose profile could not be written."""
        with self.db.write() as db:
            db.execute("DELETE FROM accounts WHERE key = ?", (username.casefold(),))
            db.execute("UPDATE invites SET used = used - 1 WHERE id = ? AND used > 0", (invite.id,))


def taken_account(db: sqlite3.Connection, username: str) -> bool:
    """Whether an account or an API token already speaks for this name (any case)."""
    key = username.casefold()
    if db.execute("SELECT 1 FROM accounts WHERE key = ?", (key,)).fetchone():
        return True
    users = db.execute("SELECT DISTINCT user FROM tokens").fetchall()
    return any(str(u).casefold() == key for (u,) in users)
