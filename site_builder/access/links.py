"""Sign-in links: how a person who already joined gets back in without OAuth (a new
browser, a lost cookie) and without a password. An organiser issues one for an existing
account; it works once, for a short time, and only its hash is stored."""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from ..errors import Problem
from ..services.editor import Editor, Role
from ..services.errors import Forbidden, Invalid, NotFound
from .db import AccessDb, now_utc, secret_hash, when
from .invites import InviteGone

PREFIX = "jdl_"
DEFAULT_LIFETIME = timedelta(minutes=30)
MAX_LIFETIME = timedelta(days=7)
REFUSED = {
    status: f"this sign-in link {why}: ask an organiser for a new one"
    for status, why in (
        ("used", "was already used"),
        ("revoked", "was revoked"),
        ("expired", "has expired"),
    )
}
"""Why a link no longer works, by its status."""
_COLUMNS = "id, user, role, created_by, created_at, expires_at, used_at, revoked_at"


@dataclass(frozen=True, slots=True)
class SigninLink:
    """A link's public record (never its code)."""

    id: str
    user: str
    role: Role
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.used_at is not None:
            return "used"
        return "expired" if self.expires_at <= now else "open"


def _record(row: tuple[object, ...]) -> SigninLink:
    lid, user, role, by, created, expires, used, revoked = row
    created_at, expires_at = when(cast(str, created)), when(cast(str, expires))
    assert created_at and expires_at
    return SigninLink(
        cast(str, lid),
        cast(str, user),
        cast(Role, role),
        cast(str, by),
        created_at,
        expires_at,
        when(cast("str | None", used)),
        when(cast("str | None", revoked)),
    )


def account_of(db: sqlite3.Connection, username: str) -> Editor | None:
    """Who `username` is (any case): their joined account, else their newest live API
    token's role; None for a name nobody signs in as."""
    row = db.execute(
        "SELECT username, role FROM accounts WHERE key = ?", (username.casefold(),)
    ).fetchone()
    if row:
        return Editor(str(row[0]), cast(Role, row[1]))
    now = now_utc().isoformat()
    for user, role, expires in db.execute(
        "SELECT user, role, expires_at FROM tokens WHERE revoked_at IS NULL "
        "ORDER BY created_at DESC"
    ).fetchall():
        if str(user).casefold() == username.casefold() and (not expires or expires > now):
            return Editor(str(user), cast(Role, role))
    return None


class SigninLinks:
    """Issue and redeem sign-in links (CLI and API share it)."""

    def __init__(self, db: AccessDb) -> None:
        self.db = db

    def issue(
        self, editor: Editor, user: str, lifetime: timedelta = DEFAULT_LIFETIME
    ) -> tuple[str, SigninLink]:
        """A new link for `user`'s account; returns (its code, shown only now, and its record)."""
        if not editor.is_organiser:
            raise Forbidden("only organisers may issue sign-in links")
        if not timedelta(minutes=1) <= lifetime <= MAX_LIFETIME:
            raise Invalid(
                [Problem("signin_links", "must be between 1 minute and 7 days", None, "expires")]
            )
        now = now_utc()
        with self.db.write() as db:
            person = account_of(db, user)
            if person is None:
                raise NotFound(
                    f"nobody signs in as {user!r}: people join with an invite "
                    "(`jamdat invite create`) before they can get a sign-in link"
                )
            while True:
                lid = secrets.token_hex(4)
                code = f"{PREFIX}{secrets.token_urlsafe(24)}"
                try:
                    db.execute(
                        f"INSERT INTO signin_links ({_COLUMNS}, hash) VALUES (?,?,?,?,?,?,?,?,?)",
                        (
                            lid,
                            person.user,
                            person.role,
                            editor.user,
                            now.isoformat(),
                            (now + lifetime).isoformat(),
                            None,
                            None,
                            secret_hash(code),
                        ),
                    )
                    break
                except sqlite3.IntegrityError:
                    continue
        return code, SigninLink(lid, person.user, person.role, editor.user, now, now + lifetime)

    def find(self, code: str) -> SigninLink | None:
        """The link of a code, usable or not; None for a code never issued."""
        if not code.startswith(PREFIX) or len(code) > 100:
            return None
        with self.db.read() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM signin_links WHERE hash = ?", (secret_hash(code),)
            ).fetchone()
        return _record(row) if row else None

    def redeem(self, code: str) -> Editor:
        """Spend the link: who it signs in, once; refused when used, expired or revoked."""
        refused = NotFound("this sign-in link is not valid: ask an organiser for a new one")
        if not code.startswith(PREFIX) or len(code) > 100:
            raise refused
        now = now_utc()
        with self.db.write() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM signin_links WHERE hash = ?", (secret_hash(code),)
            ).fetchone()
            if row is None:
                raise refused
            link = _record(row)
            status = link.status(now)
            if status != "open":
                raise InviteGone(REFUSED[status])
            db.execute(
                "UPDATE signin_links SET used_at = ? WHERE id = ?", (now.isoformat(), link.id)
            )
        return Editor(link.user, link.role)
