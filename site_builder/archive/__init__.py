"""The archive: the only reader and writer of `content/`.

Its modules, in the order of a change: `layout` (where every file lives), `schema` and
`cells` (the tables and their cells), `rules` (slugs, reserved names, event texts, time
zones), `load` (every check a build relies on), `save` and `persist` (deterministic, only
changed files), `txn` (a change commits whole or not at all, and states what it read),
and `validate` built on them. Other packages use the names below.
"""

from __future__ import annotations

from .cells import format_cell, parse_cell
from .load import (
    STATE_DIR,
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
    state_dir,
    text_slots,
)
from .rules import EVENT_CSS, EVENT_TEXTS
from .save import Saved, commit, edit, render_files, save, table_text
from .txn import Conflict, Read, snapshot

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
