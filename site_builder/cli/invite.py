"""`jamdat invite`: join links for an event, created, listed and revoked on the server."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import JamdatError
from ..services.editor import Editor
from .common import CONTENT
from .common import fail as _fail

SERVER = Editor("cli", "organiser")
"""Whoever runs the command line on the server may do what organisers do."""
DEFAULT_API = "http://127.0.0.1:8000"


@click.group("invite")
def invite_group() -> None:
    """Create, list and revoke invites: links with which people join an event."""


@invite_group.command("create")
@CONTENT
@click.option("--event", "event", required=True, help="Slug of the event people join.")
@click.option(
    "--role",
    type=click.Choice(["member", "organiser"]),
    default="member",
    show_default=True,
    help="What people joining with it may do.",
)
@click.option(
    "--uses",
    type=click.IntRange(1, 10_000),
    default=1,
    show_default=True,
    help="How many may join.",
)
@click.option("--expires", help="A duration (30m, 12h, 7d, 2w) or an ISO 8601 time; default never.")
@click.option("--api-url", help="The API's address for the link (default: site.yaml's api_url).")
def invite_create(
    content: Path,
    event: str,
    role: str,
    uses: int,
    expires: str | None,
    api_url: str | None,
) -> None:
    """Create an invite and print its join link once: only a hash of it is stored."""
    from .. import archive
    from ..access.db import AccessDb
    from ..access.invites import InviteStore, parse_expiry

    try:
        site = archive.load(content)
        if event not in site.events:
            known = ", ".join(sorted(site.events)) or "none"
            raise JamdatError(f"{content}/data/events.csv has no event {event!r} (events: {known})")
        until = parse_expiry(expires) if expires else None
        code, invite = InviteStore(AccessDb.of(content)).create(SERVER, event, role, uses, until)
    except JamdatError as exc:
        _fail(exc)
        return
    base = (api_url or site.config.api_url or DEFAULT_API).rstrip("/")
    click.echo(f"{base}/join/{code}")
    expiry = f", expires {invite.expires_at:%Y-%m-%d %H:%M} UTC" if invite.expires_at else ""
    click.echo(
        f"invite {invite.id} to {event} as {role}, {uses} use(s){expiry}; "
        "the link is shown only now.",
        err=True,
    )


@invite_group.command("list")
@CONTENT
def invite_list(content: Path) -> None:
    """List invites (ids, events, roles, uses and states; never the links)."""
    from ..access.db import AccessDb, now_utc
    from ..access.invites import InviteStore

    now = now_utc()
    for i in InviteStore(AccessDb.of(content)).list():
        until = f"  expires {i.expires_at:%Y-%m-%d %H:%M}" if i.expires_at else ""
        click.echo(
            f"{i.id}  {i.event}  {i.role:<9}  {i.status(now):<7}  {i.used}/{i.uses} used{until}"
        )


@invite_group.command("revoke")
@CONTENT
@click.argument("invite_id", metavar="ID")
def invite_revoke(content: Path, invite_id: str) -> None:
    """Revoke invite ID (from `jamdat invite list`): its link stops working."""
    from ..access.db import AccessDb
    from ..access.invites import InviteStore

    try:
        invite = InviteStore(AccessDb.of(content)).revoke(SERVER, invite_id)
    except JamdatError as exc:
        _fail(exc)
        return
    click.echo(f"revoked invite {invite.id} to {invite.event}")
