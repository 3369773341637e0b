"""The archive: the only reader and writer of `content/`.

Its modules, in the order of a change: `layout` (where every file lives), `schema` and
`cells` (the tables and their cells), `rules` (slugs, reserved names, event texts, time
zones), `load` (every check a build relies on), `save` and `persist` (deterministic, only
changed files), `txn` (a change commits whole or not at all), and the commands built on
them: `validate`, `scaffold`. Other packages use the names below.
"""

from __future__ import annotations

from .cells import format_cell, parse_cell
from .load import STATE_DIR, LoadCache, load, load_or_new, new_site, reload_texts, state_dir
from .rules import EVENT_CSS, EVENT_TEXTS
from .save import render_files, save, table_text

__all__ = [
    "EVENT_CSS",
    "EVENT_TEXTS",
    "STATE_DIR",
    "LoadCache",
    "format_cell",
    "load",
    "load_or_new",
    "new_site",
    "parse_cell",
    "reload_texts",
    "render_files",
    "save",
    "state_dir",
    "table_text",
]
