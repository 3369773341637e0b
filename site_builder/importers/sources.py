"""What `jamdat import` accepts on its command line: paths, and Dribdat server URLs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

_URL = re.compile(r"^https?://", re.IGNORECASE)


def is_url(value: str) -> bool:
    return bool(_URL.match(value))


class Source(click.ParamType["Path | str", Any]):
    """An import source: a Dribdat server URL (kept as text), or a path that exists."""

    name = "PATH|URL"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Path | str:
        if isinstance(value, Path) or not is_url(str(value)):
            path = Path(value)
            if not path.exists():
                self.fail(f"Path {str(value)!r} does not exist.", param, ctx)
            return path
        return str(value)
