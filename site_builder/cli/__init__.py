"""The `jamdat` command: one click group, one module per command group."""

from .main import main

__all__ = ["main"]
