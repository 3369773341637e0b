"""`jamdat people`: who is signed in, and signing people out."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import JamdatError
from .common import CONTENT
from .common import fail as _fail


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
    """Sign USER out everywhere: end their sessions, void their unused sign-in links and
    revoke their tokens, at once."""
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


@people_group.command("link")
@CONTENT
@click.argument("user")
@click.option(
    "--expires",
    default="30m",
    show_default=True,
    help="How long the link works: a duration (15m, 2h, 1d), at most 7 days.",
)
@click.option("--api-url", help="The API's address for the link (default: site.yaml's api_url).")
def people_link(content: Path, user: str, expires: str, api_url: str | None) -> None:
    """Print a single-use sign-in link for USER, who already joined (a new browser, a lost
    session): no password, only its hash is stored. `people revoke` voids unused ones."""
    from .. import archive
    from ..access.db import AccessDb, now_utc
    from ..access.invites import parse_expiry
    from ..access.links import SigninLinks
    from .invite import DEFAULT_API, SERVER

    try:
        site = archive.load(content)
        now = now_utc()
        lifetime = parse_expiry(expires, now) - now
        code, link = SigninLinks(AccessDb.of(content)).issue(SERVER, user, lifetime)
    except JamdatError as exc:
        _fail(exc)
        return
    base = (api_url or site.config.api_url or DEFAULT_API).rstrip("/")
    click.echo(f"{base}/signin/link/{code}")
    click.echo(
        f"sign-in link {link.id} for {link.user} ({link.role}), once, until "
        f"{link.expires_at:%Y-%m-%d %H:%M} UTC; the link is shown only now.",
        err=True,
    )
