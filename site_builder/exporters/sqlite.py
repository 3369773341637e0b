"""SQLite: one table per archive table, long texts included, full-text search on projects
and events; made with sqlite-utils, ready for `datasette archive.db`."""

from __future__ import annotations

import errno
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import sqlite_utils

from ..archive import schema
from ..model import Site
from .common import ExportReport
from .csvfiles import tables

_TYPES: dict[str, type] = {
    "string": str, "integer": int, "number": float, "boolean": int, "datetime": str,
}  # fmt: skip
_SEARCH = {
    "projects": ["name", "summary", "team", "longtext", "autotext"],
    "events": ["name", "summary", "location", "description"],
}
"""Columns of the full-text indexes (Datasette offers a search box for these tables)."""


def _cell(value: Any) -> Any:
    """SQLite values: text, numbers, 0/1 for booleans, ISO 8601 text for times."""
    if isinstance(value, bool) or value is None or isinstance(value, int | float | str):
        return value
    return value.isoformat()


def _records(site: Site, name: str) -> list[Any]:
    found: dict[str, list[Any]] = {
        "events": list(site.events.values()),
        "categories": list(site.categories.values()),
        "projects": list(site.projects.values()),
        "activities": list(site.activities.values()),
        "people": list(site.people.values()),
    }
    return found[name]


def _fill(db: sqlite_utils.Database, site: Site) -> None:
    for table, columns in tables():
        types = {f.name: _TYPES[f.type] for f in table.fields}
        handle = db.table(table.name)
        handle.create(
            {c: types[c] for c, _ in columns},
            pk=table.primary_key[0] if len(table.primary_key) == 1 else table.primary_key,
            not_null={f.name for f in table.fields if f.required},
        )
        rows = [
            {c: _cell(getattr(record, f)) for c, f in columns}
            for record in _records(site, table.name)
        ]
        rows.sort(key=lambda row: tuple(str(row[k]) for k in table.primary_key))
        handle.insert_all(rows)
    for table in schema.TABLES:
        for fk in table.foreign_keys:
            if len(fk.fields) == 1 and fk.resource == "events":
                db.table(table.name).add_foreign_key(fk.fields[0], "events", "slug")
    for name, searched in _SEARCH.items():
        db.table(name).enable_fts(searched, create_triggers=True)


def write_sqlite(site: Site, out: Path) -> ExportReport:
    """A fresh database at `out`, swapped in only once it is complete."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        db = sqlite_utils.Database(tmp)
        try:
            with db.conn:
                _fill(db, site)
            db.vacuum()
        except sqlite3.OperationalError as exc:
            if "full" not in str(exc):  # "database or disk is full"
                raise
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(out)) from exc
        finally:
            db.close()
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return ExportReport([out])
