"""What every `jamdat` command shares: the `--content` option and the error exit."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import ContentError, JamdatError

CONTENT = click.option(
    "--content",
    "content",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("content"),
    show_default=True,
    help="The archive: site.yaml, datapackage.json, data/, Markdown.",
)
"""The archive a command works on."""


def fail(exc: JamdatError) -> None:
    """Print an error the user can act on, without a traceback, and exit non-zero."""
    if isinstance(exc, ContentError):
        click.secho(f"error: {len(exc.problems)} problem(s) in the content:", fg="red", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
    else:
        click.secho(f"error: {exc}", fg="red", err=True)
    sys.exit(1)
