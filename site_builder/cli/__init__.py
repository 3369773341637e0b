"""The `jamdat` command: one click group, one module per command group."""

from .common import run as _run
from .main import main

__all__ = ["main", "run"]


def run() -> None:
    """The `jamdat` console script (see `common.run`)."""
    _run(main)
