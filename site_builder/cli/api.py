"""`jamdat token` and `jamdat api`: tokens for editors, and the edit API server."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

import click

from ..errors import JamdatError
from ..services.quotas import MAX_POST_BYTES, POSTS_PER_HOUR
from .common import CONTENT
from .common import fail as _fail


@click.group("token")
def token_group() -> None:
    """Create, list and revoke the edit API's bearer tokens."""


@token_group.command("create")
@CONTENT
@click.option(
    "--role",
    type=click.Choice(["organiser", "member"]),
    required=True,
    help="organiser: may edit everything; member: only projects whose team lists USER.",
)
@click.option("--user", "user", required=True, help="Username, as listed in projects' team.")
@click.option(
    "--expires-days",
    type=click.IntRange(min=1),
    default=None,
    help="Let the token expire after this many days (default: never).",
)
def token_create(content: Path, role: str, user: str, expires_days: int | None) -> None:
    """Create a token and print it once: only its hash is stored."""
    from ..tokens import TokenStore

    expires = timedelta(days=expires_days) if expires_days else None
    try:
        secret, token = TokenStore.of(content).create(role, user, expires)
    except JamdatError as exc:
        _fail(exc)
        return
    click.echo(secret)
    until = f", expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else ""
    click.echo(
        f"token {token.id} for {token.user} ({token.role}{until}); it is shown only now.",
        err=True,
    )


@token_group.command("list")
@CONTENT
def token_list(content: Path) -> None:
    """List tokens (ids, users, roles and states; never the tokens themselves)."""
    from datetime import UTC, datetime

    from ..tokens import TokenStore

    now = datetime.now(UTC)
    for token in TokenStore.of(content).list():
        click.echo(
            f"{token.id}  {token.role:<9}  {token.status(now):<7}  "
            f"created {token.created_at:%Y-%m-%d}  {token.user}"
        )


@token_group.command("revoke")
@CONTENT
@click.argument("token")
def token_revoke(content: Path, token: str) -> None:
    """Revoke TOKEN (its id from `jamdat token list`, or the token itself)."""
    from ..tokens import TokenStore

    try:
        record = TokenStore.of(content).revoke(token)
    except JamdatError as exc:
        _fail(exc)
        return
    click.echo(f"revoked token {record.id} of {record.user} ({record.role})")


@click.command("api")
@CONTENT
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("public"),
    show_default=True,
    help="The site rebuilt after edits.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--base-url", help="Override site.yaml's base_url for the rebuilt site.")
@click.option("--no-build", is_flag=True, help="Only write content; do not rebuild the site.")
@click.option(
    "--debounce",
    type=click.FloatRange(min=0),
    default=0.2,
    show_default=True,
    help="Seconds without edits before a rebuild starts.",
)
@click.option(
    "--max-delay",
    type=click.FloatRange(min=0),
    default=0.5,
    show_default=True,
    help="Longest wait for a rebuild while edits keep coming, in seconds.",
)
@click.option("--git", is_flag=True, help="Commit each edit, authored by its editor.")
@click.option(
    "--cors-origin",
    "cors",
    multiple=True,
    help="An origin allowed to call the API from a browser (repeatable).",
)
@click.option(
    "--rate-limit",
    type=click.IntRange(min=0),
    default=1200,
    show_default=True,
    help="Requests per minute per client address (0: unlimited).",
)
@click.option(
    "--token-rate-limit",
    type=click.IntRange(min=0),
    default=600,
    show_default=True,
    help="Requests per minute per token (0: unlimited).",
)
@click.option(
    "--join-rate-limit",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    help="Joins per minute per client address, in one burst at most (0: unlimited); "
    "a room behind one router shares one address.",
)
@click.option(
    "--invite-rate-limit",
    type=click.IntRange(min=0),
    default=60,
    show_default=True,
    help="Joins per minute with one invite link, in one burst at most (0: unlimited).",
)
@click.option(
    "--posts-per-hour",
    type=click.IntRange(min=0),
    default=POSTS_PER_HOUR,
    show_default=True,
    help="Posts a project's team may add within any hour (0: unlimited; not organisers).",
)
@click.option(
    "--max-post-bytes",
    type=click.IntRange(min=0),
    default=MAX_POST_BYTES,
    show_default=True,
    help="Largest post in bytes, its text and link (0: unlimited).",
)
@click.option(
    "--max-body",
    type=click.IntRange(min=1024),
    default=1_048_576,
    show_default=True,
    help="Largest request body in bytes.",
)
@click.option("--jobs", type=int, default=None, help="Processes that render large rebuilds.")
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
def api_command(
    content: Path,
    out: Path,
    host: str,
    port: int,
    base_url: str | None,
    no_build: bool,
    debounce: float,
    max_delay: float,
    git: bool,
    cors: tuple[str, ...],
    rate_limit: int,
    token_rate_limit: int,
    join_rate_limit: int,
    invite_rate_limit: int,
    posts_per_hour: int,
    max_post_bytes: int,
    max_body: int,
    jobs: int | None,
    log_level: str,
) -> None:
    """Serve the edit API (and the edit page) until interrupted; rebuilds OUT after edits."""
    from api.server import serve
    from api.settings import ApiSettings

    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from site_builder.access.oauth import providers_from_env

    try:
        oauth = providers_from_env(os.environ)  # secrets: from the environment only
    except JamdatError as exc:
        _fail(exc)
        return
    settings = ApiSettings(
        oauth=oauth,
        content=content,
        out=out,
        base_url=base_url,
        build=not no_build,
        jobs=jobs,
        debounce=debounce,
        max_delay=max(max_delay, debounce),
        git=git,
        cors_origins=cors,
        max_body=max_body,
        rate_per_address=rate_limit,
        rate_per_token=token_rate_limit,
        join_per_address=join_rate_limit,
        join_per_invite=invite_rate_limit,
        posts_per_hour=posts_per_hour,
        max_post_bytes=max_post_bytes,
        # A secret: from the environment only, never a command-line option (ps shows those).
        metrics_token=os.environ.get("JAMDAT_METRICS_TOKEN", "").strip(),
    )
    try:
        started = serve(settings, host, port, log_level)
    except JamdatError as exc:
        _fail(exc)
        return
    if not started:
        raise SystemExit(1)
