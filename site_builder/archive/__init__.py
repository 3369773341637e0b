"""The archive: the only reader and writer of `content/`.

Its modules, in the order of a change: `layout` (where every file lives), `schema` and
`cells` (the tables and their cells), `rules` (slugs, reserved names, event texts, time
zones), `loading` (every check a build relies on), `saving` and `persist` (deterministic, only
changed files), `txn` (a change commits whole or not at all, and states what it read),
and `validate` built on them. Other packages use the names below, each imported from its
module when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cells import format_cell, parse_cell
    from .contentfs import STATE_DIR, state_dir
    from .loading import (
        Checkout,
        Files,
        LoadCache,
        checkout,
        checkout_or_new,
        gather,
        load,
        new_site,
        parse,
        reload_texts,
        text_slots,
    )
    from .rules import EVENT_CSS, EVENT_TEXTS
    from .saving import Saved, commit, edit, render_files, save, table_text
    from .txn import Conflict, Read, snapshot

_HOMES = {
    "contentfs": ("STATE_DIR", "state_dir"),
    "cells": ("format_cell", "parse_cell"),
    "loading": (
        "Checkout",
        "Files",
        "LoadCache",
        "checkout",
        "checkout_or_new",
        "gather",
        "load",
        "new_site",
        "parse",
        "reload_texts",
        "text_slots",
    ),
    "rules": ("EVENT_CSS", "EVENT_TEXTS"),
    "saving": ("Saved", "commit", "edit", "render_files", "save", "table_text"),
    "txn": ("Conflict", "Read", "snapshot"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    """Each name from its module, imported on first use: a no-op build needs the state
    dir and the transaction log, not the loader and its checks (~20 ms of imports)."""
    import importlib

    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "EVENT_CSS",
    "EVENT_TEXTS",
    "STATE_DIR",
    "Checkout",
    "Conflict",
    "Files",
    "LoadCache",
    "Read",
    "Saved",
    "checkout",
    "checkout_or_new",
    "commit",
    "edit",
    "format_cell",
    "gather",
    "load",
    "new_site",
    "parse",
    "parse_cell",
    "reload_texts",
    "render_files",
    "save",
    "snapshot",
    "state_dir",
    "table_text",
    "text_slots",
]
