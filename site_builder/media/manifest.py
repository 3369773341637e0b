"""`content/media/SOURCES.csv`: where each pulled file came from, where the archive uses
it and under which licence its content is published, so the archive can credit sources.

One row per source URL, sorted by file then URL, so that reruns change only what changed.
It stays in the archive: the build does not publish it (`render/plan.py`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

NAME = "SOURCES.csv"
COLUMNS = ("file", "source_url", "used_in", "license")


@dataclass(frozen=True, slots=True, order=True)
class Row:
    file: str
    source_url: str
    used_in: str
    license: str


def read(path: Path) -> list[Row]:
    """The manifest's rows, or none when there is no (readable) manifest yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    rows = []
    for item in csv.DictReader(io.StringIO(text)):
        values = [item.get(c) or "" for c in COLUMNS]
        if values[0] and values[1]:
            rows.append(Row(*values))
    return rows


def merge(old: list[Row], new: list[Row], files: set[str]) -> str:
    """The manifest text: `new` rows replace old ones of the same URL; rows of files no
    longer in media/ (`files`) are dropped."""
    by_url = {row.source_url: row for row in old}
    by_url.update((row.source_url, row) for row in new)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in sorted(r for r in by_url.values() if r.file in files):
        writer.writerow((row.file, row.source_url, row.used_in, row.license))
    return out.getvalue()
