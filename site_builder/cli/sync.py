"""`jamdat sync`: the command line face of the sync engine."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .common import CONTENT
from .common import fail as _fail

if TYPE_CHECKING:
    from ..sync.engine import Outcome


class _Bar:
    """A progress bar on a terminal, failures listed in the summary afterwards."""

    def __init__(self) -> None:
        self._bar: Any = None

    def start(self, total: int) -> None:
        self._bar = click.progressbar(length=total, label="Syncing", file=sys.stderr)
        self._bar.__enter__()

    def done(self, outcome: Outcome) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


class _Lines:
    """Plain lines, one per project, for logs and CI."""

    def __init__(self, dry_run: bool) -> None:
        self.dry_run = dry_run

    def start(self, total: int) -> None:
        click.echo(f"syncing {total} project(s)")

    def done(self, outcome: Outcome) -> None:
        click.echo(outcome.line(self.dry_run))

    def close(self) -> None:
        """Nothing to tidy up."""


@click.command("sync")
@CONTENT
@click.option("--event", default="", help="Only the projects of this event (its slug).")
@click.option("--project", default="", help="Only this project: its slug, or EVENT/SLUG.")
@click.option("--dry-run", is_flag=True, help="Fetch and report, but write nothing to the content.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=None,
    help="Most requests in flight at once (default: site.yaml's sync.concurrency, 32).",
)
@click.option("--strict", is_flag=True, help="Exit with status 1 when any project failed.")
def sync(
    content: Path, event: str, project: str, dry_run: bool, concurrency: int | None, strict: bool
) -> None:
    """Fetch README, description and commits of every project with an autotext_url (or a
    source_url on a known forge) and reconcile them into the content."""
    from ..errors import JamdatError
    from ..services.history import History, Timer, sync_run
    from ..sync.engine import SyncOptions, run_sync

    options = SyncOptions(event, project, dry_run, concurrency)
    progress: _Bar | _Lines = _Bar() if sys.stdout.isatty() else _Lines(dry_run)
    timer = Timer("sync", "cli")
    scope = project or event
    try:
        report = run_sync(content, options, progress)
    except JamdatError as exc:
        progress.close()
        if not dry_run:
            History.of(content).record(timer.run("failed", scope=scope, error=str(exc)))
        _fail(exc)
        return
    except KeyboardInterrupt:
        progress.close()
        click.secho(
            "interrupted: the content holds what the last checkpoint saved", fg="yellow", err=True
        )
        sys.exit(130)
    progress.close()
    if not dry_run:
        summary = report.summary()
        History.of(content).record(
            sync_run(timer, scope, report.outcomes, summary, len(report.written))
        )
    click.echo(report.summary(list_failures=isinstance(progress, _Bar)))
    if strict and report.failed:
        sys.exit(1)
