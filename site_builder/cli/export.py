"""`jamdat export`: the command line face of the exporters."""

from __future__ import annotations

from pathlib import Path

import click

from ..exporters.formats import FORMATS, Format
from .common import CONTENT
from .common import fail as _fail


@click.command("export")
@CONTENT
@click.option("--event", default=None, help="Only this event (its slug).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="datapackage",
    show_default=True,
    help="Dribdat data packages (JSON), a zip of the archive, a SQLite database, or CSV.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write: a folder (datapackage, csv) or a file (zip, sqlite; a datapackage "
    "for one event may be a .json file). Default: under export/.",
)
@click.option(
    "--site-url",
    default=None,
    help="Absolute address the exported `url` fields point at (default: site.yaml's base_url).",
)
def export(
    content: Path, event: str | None, fmt: Format, out: Path | None, site_url: str | None
) -> None:
    """Export the archive: Dribdat-compatible data packages, a zip, SQLite (full-text search,
    ready for Datasette) or CSV. Every package passes `frictionless validate`."""
    from ..errors import JamdatError
    from ..exporters.run import export_archive

    try:
        report = export_archive(content, fmt, out, event, site_url)
    except JamdatError as exc:
        _fail(exc)
        return
    click.echo(report.summary())
