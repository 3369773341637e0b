"""CSV: the archive's tables with their long texts in columns, as a Frictionless tabular
package (`datapackage.json` + `data/*.csv`) that opens in any spreadsheet: text cells a
spreadsheet would run as formulas are neutralised (`csvcells`), unlike the archive's own
tables, which stay exactly as written."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..archive import format_cell, schema
from ..csvcells import neutralise
from ..fsutil import write_if_changed
from ..model import Site
from .common import ExportReport

_TEXTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "events": (
        ("description", "description", "The event's description (Markdown)."),
        ("instruction", "instruction", "Instructions for participants (Markdown)."),
        ("boilerplate", "boilerplate", "Text shown on new projects (Markdown)."),
        ("aftersubmit", "aftersubmit", "Text shown after a project is submitted (Markdown)."),
        ("community_embed", "community_embed", "Embedded community code (HTML)."),
        ("custom_css", "custom_css", "The event's own style sheet."),
    ),
    "projects": (
        ("longtext", "pitch", "The team's pitch (Markdown)."),
        ("autotext", "readme", "The README synced from autotext_url (Markdown)."),
    ),
}
"""Table -> (column, record field, description) of the long texts added to it."""


NOTE = (
    "Text cells that a spreadsheet would read as a formula (starting with =, +, -, @, a tab "
    "or a carriage return) carry a leading ' that is not part of the value; "
    "`jamdat import` drops it."
)
"""The package's description: how to read neutralised cells."""


def tables() -> list[tuple[schema.Table, list[tuple[str, str]]]]:
    """Each exported table with its columns as (column, record field)."""
    out = []
    for table in schema.TABLES:
        texts = _TEXTS.get(table.name, ())
        fields = table.fields + tuple(schema.Field(c, "string", d) for c, _, d in texts)
        columns = [(f.name, f.name) for f in table.fields] + [(c, f) for c, f, _ in texts]
        out.append((dataclasses.replace(table, fields=fields), columns))
    return out


def _records(site: Site, name: str) -> Iterable[Any]:
    found: dict[str, Iterable[Any]] = {
        "events": site.events.values(),
        "categories": site.categories.values(),
        "projects": site.projects.values(),
        "activities": site.activities.values(),
        "people": site.people.values(),
    }
    return found[name]


def _cell(value: Any) -> str:
    return neutralise(value) if isinstance(value, str) else format_cell(value)


def table_csv(table: schema.Table, columns: list[tuple[str, str]], records: Iterable[Any]) -> str:
    """Header and rows in key order, canonical cells (text neutralised), LF line endings."""

    def key(record: Any) -> tuple[str, ...]:
        return tuple(str(getattr(record, k)) for k in table.primary_key)

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c for c, _ in columns])
    for record in sorted(records, key=key):
        writer.writerow([_cell(getattr(record, f)) for _, f in columns])
    return out.getvalue()


def write_csv(site: Site, out: Path) -> ExportReport:
    """`datapackage.json` and `data/<table>.csv` in the folder `out`."""
    report = ExportReport()
    resources = []
    for table, columns in tables():
        path = out / table.path
        write_if_changed(path, table_csv(table, columns, _records(site, table.name)).encode())
        report.written.append(path)
        resources.append(table.descriptor())
    descriptor = schema.package_descriptor(site.config.title, site.config.license)
    descriptor["resources"] = resources
    descriptor["description"] = NOTE
    path = out / "datapackage.json"
    text = json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"
    write_if_changed(path, text.encode("utf-8"))
    report.written.append(path)
    return report
