"""Saving an archive: deterministic (UTF-8, LF, rows in key order, fixed columns), only files
whose bytes change, all of them or none."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..config import load_config, load_stages, save_config
from ..errors import ContentError
from ..fsutil import holds
from ..model import Site
from . import schema, txn
from .cells import format_cell
from .layout import event_text_path, project_text_path
from .loading import _text_files, checkout
from .rules import EVENT_TEXT_FIELDS, PROJECT_TEXT_FIELDS

R = TypeVar("R")


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if value is not None else (1, "")


def table_text(table: schema.Table, records: Iterable[Any]) -> str:
    """Deterministic CSV text: header, rows in key order, canonical cells, LF endings."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(table.columns)
    rows = sorted(records, key=lambda r: tuple(_sort_key(getattr(r, k)) for k in table.primary_key))
    names = table.columns
    for record in rows:
        cells = [format_cell(getattr(record, name)) for name in names]
        # The writer quotes a cell holding LF but not one holding a lone CR, which a
        # reader takes for a line end: such a row is written with every cell quoted.
        (quoted if any("\r" in cell for cell in cells) else writer).writerow(cells)
    return out.getvalue()


def render_files(site: Site) -> dict[str, str]:
    """Every file of the archive as text, keyed by path relative to `content/`."""
    E, C, P, A, H = schema.TABLES
    files = {
        E.path: table_text(E, site.events.values()),
        C.path: table_text(C, site.categories.values()),
        P.path: table_text(P, site.projects.values()),
        A.path: table_text(A, site.activities.values()),
        H.path: table_text(H, site.people.values()),
        "datapackage.json": json.dumps(
            schema.package_descriptor(site.config.title, site.config.license),
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
    }
    for e in site.events.values():
        for name in EVENT_TEXT_FIELDS:
            if text := getattr(e, name):
                files[event_text_path(e.slug, name)] = text + "\n"
    for p in site.projects.values():
        for name in PROJECT_TEXT_FIELDS:
            if text := getattr(p, name):
                files[project_text_path(p.event, p.slug, name)] = text + "\n"
    return files


def save(
    content: Path,
    site: Site,
    also: Mapping[str, str | bytes] | None = None,
    *,
    read: txn.Read,
) -> list[str]:
    """Write the archive as one transaction, with the files `also` (path relative to
    `content`: text or bytes) that belong to the same change: all of them or none, even
    when the process is killed (see `txn`). Writes only files whose bytes change; raises
    txn.Conflict, writing nothing, when one of them changed since `read` (what the
    caller loaded). Returns the paths that changed (written or removed)."""
    return commit(content, site, also, read=read).changed


@dataclass(frozen=True, slots=True)
class Saved:
    """What a save changed, and what the archive is now as far as its writer knows: the
    new commit token and the stamps of the files it wrote (for its next save)."""

    changed: list[str]
    read: txn.Read


def commit(
    content: Path,
    site: Site,
    also: Mapping[str, str | bytes] | None = None,
    *,
    read: txn.Read,
) -> Saved:
    """`save`, for a writer that goes on changing the archive it saved (see Saved)."""
    files = {rel: text.encode("utf-8") for rel, text in render_files(site).items()}
    with txn.exclusive(content):
        if not (content / "site.yaml").exists() or _safe(load_config, content) != site.config:
            files["site.yaml"] = save_config(content, site.config).encode("utf-8")
        if _safe(load_stages, content) != site.stages:
            files["stages.yaml"] = site.stages.to_yaml().encode("utf-8")
        for rel, value in (also or {}).items():
            files[rel] = value.encode("utf-8") if isinstance(value, str) else value
        changes: dict[str, bytes | None] = {
            rel: data for rel, data in sorted(files.items()) if not holds(content / rel, data)
        }
        changes.update((rel, None) for rel in _text_files(content) if rel not in files)
        if not changes:
            return Saved([], read)
        return Saved(sorted(changes), txn.commit_read(content, changes, read))


def edit(
    content: Path,
    change: Callable[[Site], Mapping[str, str | bytes] | None],
    *,
    attempts: int = 3,
) -> list[str]:
    """Load the archive, apply `change` to it and save it as one transaction (`change`
    may return more files of the same change, as for `save`'s `also`). When another
    writer committed meanwhile, the archive is loaded again and `change` applied again
    (the last time holding the lock), so `change` must depend only on the archive it is
    given. Returns the changed paths."""
    for attempt in range(1, attempts + 1):
        with txn.last_attempt(content, attempt == attempts):
            work = checkout(content)
            also = change(work.site)
            try:
                return save(content, work.site, also, read=work.read)
            except txn.Conflict:
                if attempt == attempts:
                    raise
    raise AssertionError("unreachable")


def _safe(loader: Callable[[Path], R], content: Path) -> R | None:
    try:
        return loader(content)
    except ContentError:
        return None
