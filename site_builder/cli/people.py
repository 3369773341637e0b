"""`jamdat people`: who is signed in, and signing people out."""

from __future__ import annotations

from pathlib import Path

import click

from .common import CONTENT


@click.group("people")
def people_group() -> None:
    """See and end people's sessions (browser sign-ins and their tokens)."""


@people_group.command("sessions")
@CONTENT
@click.option("--user", help="Only this person's sessions.")
def people_sessions(content: Path, user: str | None) -> None:
    """List sessions: ids, people, roles, states and last use (never the cookies)."""
    from ..access.db import AccessDb, now_utc
    from ..access.sessions import SessionStore

    now = now_utc()
    for s in SessionStore(AccessDb.of(content)).list(user):
        click.echo(
            f"{s.id}  {s.role:<9}  {s.status(now):<7}  last seen {s.last_seen:%Y-%m-%d %H:%M}"
            f"  {s.user}"
        )


@people_group.command("revoke")
@CONTENT
@click.argument("user")
def people_revoke(content: Path, user: str) -> None:
    """Sign USER out everywhere: end their sessions and revoke their tokens, at once."""
    from ..access.db import AccessDb
    from ..access.sessions import SessionStore
    from ..tokens import TokenStore

    ended = SessionStore(AccessDb.of(content)).revoke_user(user)
    tokens = TokenStore.of(content)
    revoked = 0
    for token in tokens.list():
        if token.user == user and token.revoked_at is None:
            tokens.revoke(token.id)
            revoked += 1
    click.echo(f"{user}: ended {ended} session(s), revoked {revoked} token(s)")
