"""Dribdat's CSV exports: `/api/events.csv`, `/api/event/<id>/projects.csv`,
`/api/event/<id>/activity.csv`, and the multi-server CSVs harvesters build from them.

What a file holds is told by its columns. Harvested files add an `origin` column naming
the server and may carry RFC 1123 dates (`Mon, 25 Mar 2024 16:00:00 GMT`, Flask's JSON
dates); both are understood. A broken row is skipped and named in the summary, the rest
of the file is imported. Projects find their event by its Dribdat URL or name: in the
same import, or already in the archive. Text cells Jamdat neutralised for spreadsheets
(a `'` before a formula, see `csvcells`) are read without that `'`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..csvcells import restore
from ..errors import ContentError, Problem
from ..model import Site
from .dribdat_files import Feed, Inputs, Package
from .dribdat_rows import (
    Row,
    RowError,
    parse_activity,
    parse_event,
    parse_project,
    unknown_fields,
)

ORIGIN = "origin"
"""Column of harvested CSVs naming the Dribdat server a row comes from."""


@dataclass(slots=True)
class CsvProjects:
    """Rows of a projects CSV that belong to one event, waiting to find that event."""

    source: str
    event_url: str
    event_name: str
    rows: list[Row] = field(default_factory=list)


def origin_base(value: str) -> str:
    """`hack.opendata.ch`, `https://hack.opendata.ch/` -> `https://hack.opendata.ch`."""
    value = value.strip().rstrip("/")
    if value and "://" not in value:
        value = "https://" + value
    return value


def _kind(header: list[str]) -> str | None:
    names = set(header)
    if {"starts_at", "ends_at", "name"} <= names:
        return "events"
    if "project_id" in names and names & {"time", "date"}:
        return "activities"
    if "name" in names and names & {"progress", "phase", "event_url", "event_name", "score"}:
        return "projects"
    return None


def _cells(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV row as Dribdat's JSON would have it: computed `stats-*` columns and the
    harvester's `origin` left out (the origin is used, not stored)."""
    return {k: v for k, v in row.items() if not k.startswith("stats-") and k != ORIGIN}


def _read_rows(path: Path, inputs: Inputs) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """Header and (row number, cells) of a CSV file; broken rows are noted and left out."""
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    try:
        for cells in reader:
            rows.append(cells)
    except csv.Error as exc:
        inputs.skipped.append(
            f"{path}, row {len(rows) + 1} and after: broken CSV quoting ({exc}); "
            "the rows before it were read"
        )
    if not rows:
        return [], []
    header = rows[0]
    out: list[tuple[int, dict[str, Any]]] = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            inputs.skipped.append(
                f"{path}, row {number}: has {len(cells)} cells but the header has "
                f"{len(header)}; row not imported"
            )
            continue
        out.append((number, dict(zip(header, map(restore, cells), strict=True))))
    return header, out


def _parse(
    path: Path, number: int, cells: dict[str, Any], parser: Callable[[dict[str, Any]], Row],
    kind: str, inputs: Inputs,
) -> Row | None:  # fmt: skip
    try:
        row = parser(_cells(cells))
    except RowError as exc:
        inputs.skipped.append(f"{path}, row {number}, field '{exc.field}': {exc}; row not imported")
        return None
    row.extra["unknown"] = {k: cells[k] for k in unknown_fields(kind, _cells(cells))}
    return row


def read_csv(path: Path, inputs: Inputs, problems: list[Problem], named: bool = True) -> None:
    """Parse one Dribdat CSV export into `inputs`. A file that is none is a problem when
    it was `named` on the command line, and passed over (with a note) in a folder."""
    try:
        header, rows = _read_rows(path, inputs)
    except UnicodeDecodeError as exc:
        problems.append(Problem(str(path), f"is not UTF-8 text (bad byte at offset {exc.start})"))
        return
    kind = _kind(header)
    if kind is None and not named:
        inputs.skipped.append(f"{path}: not a Dribdat CSV export")
        return
    if kind is None:
        problems.append(
            Problem(
                str(path),
                "is not a Dribdat CSV export: expected the columns of events.csv, "
                f"projects.csv or activity.csv, found {', '.join(header[:8]) or 'none'}",
            )
        )
        return
    if kind == "activities":
        feed = Feed(str(path), [])
        for number, cells in rows:
            row = _parse(path, number, cells, parse_activity, kind, inputs)
            if row is not None:
                feed.activities.append(row)
        inputs.feeds.append(feed)
        return
    if kind == "events":
        for number, cells in rows:
            row = _parse(path, number, cells, parse_event, kind, inputs)
            if row is None:
                continue
            base = origin_base(str(cells.get(ORIGIN) or ""))
            if base and row.id is not None and not row.values.get("legacy_url"):
                row.values["legacy_url"] = f"{base}/event/{row.id}"
            inputs.packages.append(Package(f"{path}, row {number}", base, row))
        return
    groups: dict[tuple[str, str], CsvProjects] = {}
    for number, cells in rows:
        row = _parse(path, number, cells, parse_project, kind, inputs)
        if row is None:
            continue
        base = origin_base(str(cells.get(ORIGIN) or ""))
        event_url = str(row.extra["event_url"] or "")
        if base and event_url and "://" not in event_url:
            event_url = f"{base}/{event_url.lstrip('/')}"
        url = row.values.get("legacy_url", "")
        if base and url and "://" not in url:
            row.values["legacy_url"] = f"{base}/{url.lstrip('/')}"
        if base and not url and row.id is not None:
            row.values["legacy_url"] = f"{base}/project/{row.id}"
        name = str(cells.get("event_name") or "")
        group = groups.setdefault((event_url, name), CsvProjects(str(path), event_url, name))
        row.extra["event_url"] = event_url
        group.rows.append(row)
    inputs.csv_projects.extend(groups.values())


def _package_url(package: Package) -> str:
    return str(package.event.values.get("legacy_url") or "")


def _named(package: Package, name: str) -> bool:
    return bool(name) and package.event.values["name"] == name


def attach_projects(site: Site, inputs: Inputs) -> None:
    """Give each group of CSV projects its event: one read in the same import, else one
    in the archive; by its `event_url`, by name only where one side names no URL.
    Raises ContentError naming the groups that have none."""
    problems: list[Problem] = []
    for group in inputs.csv_projects:
        target = next(
            (p for p in inputs.packages if group.event_url and _package_url(p) == group.event_url),
            None,
        ) or next(
            (
                p
                for p in inputs.packages
                if _named(p, group.event_name) and not (group.event_url and _package_url(p))
            ),
            None,
        )
        if target is not None:
            target.projects.extend(group.rows)
            continue
        events = sorted(site.events.values(), key=lambda e: e.slug)
        event = next(
            (e for e in events if group.event_url and e.legacy_url == group.event_url), None
        ) or next(
            (
                e
                for e in events
                if group.event_name
                and e.name == group.event_name
                and not (group.event_url and e.legacy_url)
            ),
            None,
        )
        if event is None:
            problems.append(
                Problem(
                    group.source,
                    f"event {group.event_name or '?'!r} ({group.event_url or 'no event_url'}) "
                    "is neither in the archive nor in this import: import its events.csv "
                    "or datapackage.json along with it",
                    None,
                    "event_url",
                )
            )
            continue
        values: dict[str, Any] = {
            "name": event.name,
            "starts_at": event.starts_at,
            "ends_at": event.ends_at,
            "legacy_id": event.legacy_id,
            "legacy_url": event.legacy_url,
        }
        row = Row(event.legacy_id, values, event.slug, {"timezone": event.timezone or None})
        inputs.packages.append(
            Package(group.source, "", row, projects=group.rows, archive_event=event.slug)
        )
    inputs.csv_projects.clear()
    if problems:
        raise ContentError(problems)
