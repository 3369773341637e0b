"""The `jamdat` command line: import, validate and build an archive."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import __version__
from ..errors import ContentError, JamdatError
from ..importers.sources import Source
from .common import CONTENT, Group, leave_at_once
from .common import fail as _fail

_COMMANDS = {
    "sync": "sync:sync",
    "token": "api:token_group",
    "invite": "invite:invite_group",
    "people": "people:people_group",
    "api": "api:api_command",
    "export": "export:export",
    "media": "media:media",
    "init": "authoring:init_command",
    "new": "authoring:new_group",
    "serve": "authoring:serve_command",
}
"""The commands of their own modules, by name: imported when used."""


@click.group(cls=Group, lazy={k: f"{__package__}.{v}" for k, v in _COMMANDS.items()})
@click.version_option(__version__, prog_name="jamdat")
def main() -> None:
    """Jamdat keeps hackathon archives alive as plain files and a fast static site."""


def _merges(values: tuple[str, ...]) -> dict[str, str]:
    """`--merge OLD_URL=NEW_URL` options as {old: new}."""
    out: dict[str, str] = {}
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or "://" not in old or "://" not in new:
            raise click.BadParameter(f"{value!r}: expected OLD_URL=NEW_URL, two event URLs")
        out[old.strip()] = new.strip()
    return out


@main.command("import")
@CONTENT
@click.option("--timezone", help="IANA time zone of the imported events (default: site.yaml's).")
@click.option(
    "--event", "event_ids", type=int, multiple=True, help="With a server URL: only this event id."
)
@click.option(
    "--merge",
    "merges",
    multiple=True,
    metavar="OLD_URL=NEW_URL",
    callback=lambda _ctx, _param, value: _merges(value),
    help="The event at NEW_URL is a mirror of the archived event at OLD_URL: update that one.",
)
@click.argument("paths", nargs=-1, required=True, type=Source())
def import_cmd(
    content: Path,
    timezone: str | None,
    event_ids: tuple[int, ...],
    merges: dict[str, str],
    paths: tuple[Path | str, ...],
) -> None:
    """Import Dribdat exports: data packages (JSON or zip), activity JSON, CSV exports, folders
    of them, or a live server's API (https://dribdat.example/)."""
    from ..importers.dribdat import import_paths

    try:
        summary = import_paths(
            content, list(paths), timezone=timezone, event_ids=event_ids, merges=merges
        )
    except JamdatError as exc:
        _fail(exc)
        return
    click.echo(summary.report())
    if summary.failed:
        sys.exit(1)


@main.command()
@CONTENT
@click.option(
    "--fast", is_flag=True, help="Skip the Frictionless pass (the build's own checks only)."
)
@click.option("--fix", is_flag=True, help="Rewrite a stale datapackage.json from the schema.")
def validate(content: Path, fast: bool, fix: bool) -> None:
    """Check the archive: types, keys, references, files; exits 1 on any error."""
    from ..archive.validate import validate_archive

    report = validate_archive(content, frictionless=not fast, fix=fix)
    for rel in report.fixed:
        click.echo(f"rewrote {content / rel}")
    for warning in report.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    if report.errors:
        _fail(ContentError(report.errors))
    click.echo(f"{content}: valid ({report.summary})")


@main.command()
@CONTENT
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("public"),
    show_default=True,
    help="Where the site is written.",
)
@click.option("--base-url", help="Override site.yaml's base_url, e.g. https://example.org/.")
@click.option("--clean", is_flag=True, help="Ignore the build state and render everything.")
@click.option("--jobs", type=int, default=None, help="Processes that render (default: all cores).")
def build(content: Path, out: Path, base_url: str | None, clean: bool, jobs: int | None) -> None:
    """Render the static site into OUT, incrementally and atomically."""
    from ..onterm import exit_cleanly_on_term

    leave_at_once()
    from ..render.build import build_site
    from ..services.history import History, Timer

    timer = Timer("build", "cli")
    try:
        with exit_cleanly_on_term(f"build of {out} terminated; {out} is unchanged"):
            report = build_site(content, out, base_url=base_url, clean=clean, jobs=jobs)
    except JamdatError as exc:
        History.of(content).record(timer.run("failed", error=str(exc)))
        _fail(exc)
        return
    summary = report.summary()
    History.of(content).record(
        timer.run(
            "succeeded",
            summary=summary,
            written=len(report.written),
            removed=len(report.deleted),
        )
    )
    click.echo(summary)
    for warning in report.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
