"""Saving an archive: deterministic (UTF-8, LF, rows in key order, fixed columns), only files
whose bytes change, all of them or none."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from ..config import load_config, load_stages, save_config
from ..errors import ContentError
from ..fsutil import holds, replace_all
from ..locks import locked
from ..model import Site
from . import schema
from .cells import format_cell
from .load import _text_files, state_dir
from .rules import EVENT_CSS, EVENT_TEXTS

R = TypeVar("R")


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if value is not None else (1, "")


def table_text(table: schema.Table, records: Iterable[Any]) -> str:
    """Deterministic CSV text: header, rows in key order, canonical cells, LF endings."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    rows = sorted(records, key=lambda r: tuple(_sort_key(getattr(r, k)) for k in table.primary_key))
    names = table.columns
    for record in rows:
        writer.writerow([format_cell(getattr(record, name)) for name in names])
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
        if e.description:
            files[f"events/{e.slug}.md"] = e.description + "\n"
        for name in EVENT_TEXTS:
            if getattr(e, name):
                files[f"events/{e.slug}/{name}.md"] = getattr(e, name) + "\n"
        if e.custom_css:
            files[f"events/{e.slug}/{EVENT_CSS}.css"] = e.custom_css + "\n"
    for p in site.projects.values():
        if p.pitch:
            files[f"projects/{p.event}/{p.slug}.md"] = p.pitch + "\n"
        if p.readme:
            files[f"synced/{p.event}/{p.slug}.md"] = p.readme + "\n"
    return files


def save(content: Path, site: Site, also: Mapping[str, str] | None = None) -> list[str]:
    """Write the archive, with the files `also` (path relative to `content`: text) that
    belong to the same change: all of them or, when one cannot be written (a full disk),
    none. Writes only files whose bytes change; returns the paths that changed (written
    or removed)."""
    files = render_files(site)
    with locked(state_dir(content) / "content.lock"):
        if not (content / "site.yaml").exists() or _safe(load_config, content) != site.config:
            files["site.yaml"] = save_config(content, site.config)
        if _safe(load_stages, content) != site.stages:
            files["stages.yaml"] = site.stages.to_yaml()
        files.update(also or {})
        writes: dict[Path, bytes] = {}
        for rel, text in sorted(files.items()):
            data = text.encode("utf-8")
            if not holds(content / rel, data):
                writes[content / rel] = data
        gone = [rel for rel in _text_files(content) if rel not in files]
        replace_all(writes, [content / rel for rel in gone])
        for folder in sorted({(content / rel).parent for rel in gone}):
            if folder != content / "events" and not any(folder.iterdir()):
                folder.rmdir()
    return sorted([path.relative_to(content).as_posix() for path in writes] + gone)


def _safe(loader: Callable[[Path], R], content: Path) -> R | None:
    try:
        return loader(content)
    except ContentError:
        return None
