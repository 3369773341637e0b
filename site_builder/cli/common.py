"""What every `jamdat` command shares: the `--content` option and the error exits."""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import ContentError, JamdatError

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


_leave_at_once = False


def leave_at_once() -> None:
    """End the `jamdat` process without the interpreter's teardown once this command is
    done (`run`). A build holds records, sets of sources and cached parts that the
    teardown would free one by one for nothing: 0.12 s of a one-pitch rebuild at 10,000
    projects. Only for commands that close every file they write before they return."""
    global _leave_at_once
    _leave_at_once = True


def run(command: click.Command) -> None:
    """The console script: `command` as click runs it, then the process ends as it asks
    (`leave_at_once`), with its exit status, once the output is flushed."""
    try:
        command.main()
    except SystemExit as exc:
        if not _leave_at_once or not isinstance(exc.code, int | None):
            raise
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(exc.code or 0)


DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)
"""What the system says of a disk that is full or cannot be written: not Jamdat's bugs."""


class Group(click.Group):
    """The `jamdat` command group. A system error naming a file, or one of a full or
    read-only disk, ends any command with one line naming the path, without a traceback;
    so does any JamdatError a command left uncaught (a damaged journal, a conflict).

    Commands listed in `lazy` (name: "module:attribute") are imported when used, so that
    `jamdat build` does not load what only the server, sync or media need (Pillow, the
    API's services)."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = self.lazy.pop(cmd_name, None)
        if where is not None:
            module, _, attribute = where.partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except JamdatError as exc:
            fail(exc)
        except OSError as exc:
            if exc.filename is None and exc.errno not in DISK_ERRORS:
                raise
            fail_os(exc)


def fail_os(exc: OSError) -> None:
    """One line: the path (both paths of a rename) and what the system said, exit 1."""
    where = ": ".join(str(name) for name in (exc.filename, exc.filename2) if name is not None)
    reason = exc.strerror or str(exc)
    click.secho(f"error: {where}: {reason}" if where else f"error: {reason}", fg="red", err=True)
    sys.exit(1)
