"""`jamdat media pull`: the command line face of the media puller."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..media.refs import USES
from ..media.resize import MAX_WIDTH
from ..media.sniff import DEFAULT_TYPES, IMAGE_TYPES
from .common import CONTENT
from .common import fail as _fail


@click.group("media")
def media() -> None:
    """Keep the archive's images in the archive (content/media/)."""


@media.command("pull")
@CONTENT
@click.option(
    "--type",
    "types",
    type=click.Choice(sorted(IMAGE_TYPES)),
    multiple=True,
    help=f"Allowed image type, repeatable (default: {', '.join(DEFAULT_TYPES)}).",
)
@click.option(
    "--max-size",
    type=click.FloatRange(0.001),
    default=10.0,
    show_default=True,
    help="Largest image to keep, in MB.",
)
@click.option(
    "--concurrency", type=click.IntRange(1, 64), default=4, show_default=True,
    help="Downloads in flight at once.",
)  # fmt: skip
@click.option(
    "--max-width",
    "widths",
    metavar="USE=PX",
    multiple=True,
    callback=lambda _c, _p, value: _widths(value),
    help="Largest width kept for images used as logo, image, text or avatar, repeatable "
    f"(default: {', '.join(f'{k}={v}' for k, v in MAX_WIDTH.items())}); 0 keeps the size.",
)
@click.option("--dry-run", is_flag=True, help="Download and check, but change no file.")
@click.option("--strict", is_flag=True, help="Exit with status 1 when any image failed.")
def pull(
    content: Path,
    types: tuple[str, ...],
    max_size: float,
    concurrency: int,
    widths: tuple[tuple[str, int], ...],
    dry_run: bool,
    strict: bool,
) -> None:
    """Download remote images (event logos, project images, avatars, images in texts) into
    content/media/, scaled down to what the site shows, under content-hash names; point the
    content at them and record their sources in content/media/SOURCES.csv."""
    from ..errors import JamdatError
    from ..media.pull import PullOptions, pull_media

    options = PullOptions(
        types or DEFAULT_TYPES, int(max_size * 1_000_000), concurrency, dry_run, widths
    )
    try:
        report = pull_media(content, options)
    except JamdatError as exc:
        _fail(exc)
        return
    click.echo(report.summary())
    if strict and report.failures:
        sys.exit(1)


def _widths(values: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """`("avatar=96",)` as `(("avatar", 96),)`; a usage error names the bad value."""
    out = []
    for value in values:
        use, _, px = value.partition("=")
        if use not in USES or not px.isdigit():
            raise click.BadParameter(
                f"{value!r}: expected USE=PX with USE one of {', '.join(USES)}"
            )
        out.append((use, int(px)))
    return tuple(out)
