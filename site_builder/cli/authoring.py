"""`jamdat init`, `jamdat new event|project` and `jamdat serve`: writing an archive and
seeing it while it is written."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import JamdatError
from .common import CONTENT
from .common import fail as _fail


def _written(content: Path, files: list[str]) -> None:
    for rel in files:
        click.echo(f"  wrote {content / rel}")


@click.command("init")
@click.argument(
    "directory", type=click.Path(path_type=Path), default=Path("content"), required=False
)
@click.option("--title", default="Hackathon archive", show_default=True, help="Site title.")
@click.option("--base-url", default="/", show_default=True, help="Where the site will live.")
@click.option(
    "--timezone", default="UTC", show_default=True, help="IANA zone of events without one."
)
@click.option("--no-example", is_flag=True, help="Leave the tables empty (no example event).")
def init_command(
    directory: Path, title: str, base_url: str, timezone: str, no_example: bool
) -> None:
    """Start a new archive in DIRECTORY (default: content), ready to validate and build."""
    from ..services.scaffold import init_archive

    try:
        files = init_archive(
            directory, title=title, base_url=base_url, timezone=timezone, example=not no_example
        )
    except JamdatError as exc:
        _fail(exc)
        return
    click.echo(f"Created an archive in {directory}:")
    _written(directory, files)
    click.echo(f"Next: jamdat serve --content {directory}")


@click.group("new")
def new_group() -> None:
    """Add an event or a project: a table row and its Markdown file."""


@new_group.command("event")
@CONTENT
@click.argument("name")
@click.option(
    "--starts", required=True, help="Local start: 2025-05-17 (09:00) or 2025-05-17T10:00."
)
@click.option("--ends", help="Local end (default: the next day at 17:00).")
@click.option("--slug", help="URL slug (default: made from NAME).")
@click.option("--timezone", default="", help="IANA zone (default: site.yaml's).")
@click.option("--location", default="", help="Where it happens.")
@click.option("--summary", default="", help="One line shown on the event's card.")
def new_event_command(
    content: Path,
    name: str,
    starts: str,
    ends: str | None,
    slug: str | None,
    timezone: str,
    location: str,
    summary: str,
) -> None:
    """Add the event NAME with its description file events/<slug>.md."""
    from ..services.scaffold import END_TIME, new_event, parse_when

    try:
        created = new_event(
            content,
            name,
            parse_when(starts),
            parse_when(ends, END_TIME) if ends else None,
            slug=slug,
            timezone=timezone,
            location=location,
            summary=summary,
        )
    except JamdatError as exc:
        _fail(exc)
        return
    click.echo(f"Added event {created.key}:")
    _written(content, created.files)


@new_group.command("project")
@CONTENT
@click.argument("event")
@click.argument("name")
@click.option("--slug", help="URL slug (default: made from NAME).")
@click.option("--summary", default="", help="One line shown on the project's card.")
@click.option("--team", default="", help="Comma-separated usernames.")
@click.option("--category", default="", help="Slug of the event's challenge category.")
@click.option("--challenge", is_flag=True, help="Add a challenge instead of a team project.")
def new_project_command(
    content: Path,
    event: str,
    name: str,
    slug: str | None,
    summary: str,
    team: str,
    category: str,
    challenge: bool,
) -> None:
    """Add the project NAME to EVENT (a slug) with its pitch file projects/EVENT/<slug>.md."""
    from ..services.scaffold import new_project

    try:
        created = new_project(
            content,
            event,
            name,
            slug=slug,
            summary=summary,
            team=team,
            category=category,
            challenge=challenge,
        )
    except JamdatError as exc:
        _fail(exc)
        return
    click.echo(f"Added {'challenge' if challenge else 'project'} {created.key}:")
    _written(content, created.files)


@click.command("serve")
@CONTENT
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("public"),
    show_default=True,
    help="Where the site is built.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the site in a browser.")
@click.option("--jobs", type=int, default=None, help="Processes that render (default: all cores).")
def serve_command(
    content: Path, out: Path, host: str, port: int, open_browser: bool, jobs: int | None
) -> None:
    """Build, serve and rebuild on every save; open pages reload by themselves."""
    from ..serve.preview import serve

    try:
        serve(content, out, host=host, port=port, open_browser=open_browser, jobs=jobs)
    except JamdatError as exc:
        _fail(exc)
