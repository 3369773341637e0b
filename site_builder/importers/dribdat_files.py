"""Read Dribdat exports from disk: JSON packages, zip exports, activity feeds, folders.

Everything is parsed and checked here, before the archive is touched: a bad file raises
one ContentError naming the file (and resource, row, field) and nothing is written.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import CONTRIBUTOR_KEYS, Contributor
from ..errors import ContentError, Problem
from .dribdat_rows import (
    Row,
    RowError,
    parse_activity,
    parse_category,
    parse_event,
    parse_person,
    parse_project,
    unknown_fields,
)

if TYPE_CHECKING:
    from .dribdat_csv import CsvProjects

RESOURCE_NAMES = {
    "events": "events",
    "event": "events",
    "projects": "projects",
    "categories": "categories",
    "users": "users",
    "participants": "users",
    "people": "users",
    "activities": "activities",
}
"""Dribdat resource names (0.1.0 used `event` and `participants`; Jamdat's exports use
`people`, which Dribdat's importer passes over instead of making accounts) -> what they hold."""

PARSERS: dict[str, Callable[[dict[str, Any]], Row | None]] = {
    "events": parse_event,
    "projects": parse_project,
    "categories": parse_category,
    "users": parse_person,
    "activities": parse_activity,
}

Resolver = Callable[[str], bytes | None]


@dataclass(slots=True)
class Package:
    """One Dribdat data package, parsed: one event and what belongs to it."""

    source: str
    sources_path: str
    event: Row
    projects: list[Row] = field(default_factory=list)
    categories: list[Row] = field(default_factory=list)
    people: list[Row] = field(default_factory=list)
    activities: list[Row] = field(default_factory=list)
    ignored: set[str] = field(default_factory=set)
    extra_resources: dict[str, list[Any]] = field(default_factory=dict)
    license: tuple[str, str] = ("", "")
    """The package's first licence: its name (an SPDX id, e.g. `ODC-PDDL-1.0`) and link."""
    contributors: tuple[Contributor, ...] = ()
    """The package's `contributors` (those with a name)."""
    archive_event: str = ""
    """The archive's event this package stands for, when it was made for a group of CSV
    projects attached to an event already in the archive (see `attach_projects`)."""
    """Resources Jamdat has no table for, kept as they came (see `extras`)."""


@dataclass(slots=True)
class Feed:
    """An event's activity JSON (`{"activities": [...]}`), which names no event."""

    source: str
    activities: list[Row]
    ignored: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Inputs:
    """Everything one `jamdat import` reads, in order, plus files it passed over."""

    packages: list[Package] = field(default_factory=list)
    feeds: list[Feed] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    csv_projects: list[CsvProjects] = field(default_factory=list)
    """Projects read from CSV exports, until `dribdat_csv.attach_projects` finds their events."""

    def extend(self, other: Inputs) -> None:
        self.packages += other.packages
        self.feeds += other.feeds
        self.skipped += other.skipped
        self.csv_projects += other.csv_projects


def read_inputs(paths: list[Path]) -> Inputs:
    """Parse and check every input; raises ContentError listing every bad file."""
    inputs = Inputs()
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            _read_dir(path, inputs, problems)
        elif path.suffix.lower() == ".zip":
            _read_zip(path, inputs, problems)
        elif path.suffix.lower() == ".csv":
            _read_csv(path, inputs, problems)
        else:
            _read_file(path, inputs, problems)
    if problems:
        raise ContentError(problems)
    return inputs


def _read_dir(root: Path, inputs: Inputs, problems: list[Problem]) -> None:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    documents: dict[Path, Any] = {}
    used: set[Path] = set()
    for path in files:
        if path.suffix.lower() == ".json":
            doc = _load_json(path.read_bytes(), str(path), problems)
            documents[path] = doc
            if isinstance(doc, dict) and isinstance(doc.get("resources"), list):
                for res in doc["resources"]:
                    if isinstance(res, dict) and isinstance(res.get("path"), str):
                        used.add((path.parent / res["path"]).resolve())
    for path in files:
        suffix = path.suffix.lower()
        if path.resolve() in used:
            continue
        if suffix == ".zip":
            _read_zip(path, inputs, problems)
        elif suffix == ".csv":
            _read_csv(path, inputs, problems, named=False)
        elif suffix == ".json":
            if documents[path] is not None:
                _classify(documents[path], str(path), _dir_resolver(path.parent), inputs, problems)
        else:
            inputs.skipped.append(f"{path}: not a .json or .zip file")


def _read_csv(path: Path, inputs: Inputs, problems: list[Problem], named: bool = True) -> None:
    from .dribdat_csv import read_csv

    read_csv(path, inputs, problems, named)


def read_document(doc: Any, source: str, inputs: Inputs, problems: list[Problem]) -> None:
    """Add a parsed JSON document (package or activity feed) fetched from `source`."""
    _classify(doc, source, lambda rel: None, inputs, problems)


def _read_file(path: Path, inputs: Inputs, problems: list[Problem]) -> None:
    doc = _load_json(path.read_bytes(), str(path), problems)
    if doc is not None:
        _classify(doc, str(path), _dir_resolver(path.parent), inputs, problems)


def _read_zip(path: Path, inputs: Inputs, problems: list[Problem]) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        problems.append(Problem(str(path), f"is not a readable zip file ({exc})"))
        return
    with archive:
        names = [n for n in archive.namelist() if posixpath.basename(n) == "datapackage.json"]
        if not names:
            problems.append(Problem(str(path), "holds no datapackage.json"))
            return
        member = min(names, key=lambda n: (n.count("/"), n))
        base = posixpath.dirname(member)
        members = set(archive.namelist())

        def resolve(rel: str) -> bytes | None:
            name = posixpath.normpath(posixpath.join(base, rel)) if base else rel
            return archive.read(name) if name in members else None

        source = f"{path}:{member}"
        doc = _load_json(archive.read(member), source, problems)
        if doc is not None:
            _classify(doc, source, resolve, inputs, problems)


def _dir_resolver(base: Path) -> Resolver:
    def resolve(rel: str) -> bytes | None:
        path = base / rel
        return path.read_bytes() if path.is_file() else None

    return resolve


def _decode(data: bytes, source: str, problems: list[Problem]) -> str | None:
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(source, f"is not UTF-8 text (bad byte at offset {exc.start})", line)
        )
        return None


def _load_json(data: bytes, source: str, problems: list[Problem]) -> Any:
    """The parsed document, or None with a problem that says line and column."""
    body = _decode(data, source, problems)
    if body is None:
        return None
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        # A JSON document has lines, not rows: the line and column are in the message.
        problems.append(
            Problem(
                source, f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            )
        )
        return None


def _classify(
    doc: Any, source: str, resolve: Resolver, inputs: Inputs, problems: list[Problem]
) -> None:
    if isinstance(doc, dict) and "resources" in doc:
        package = _package(doc, source, resolve, problems)
        if package is not None:
            inputs.packages.append(package)
    elif isinstance(doc, dict) and isinstance(doc.get("activities"), list):
        feed = Feed(source, [])
        feed.activities = _rows(doc["activities"], "activities", source, feed.ignored, problems)
        inputs.feeds.append(feed)
    else:
        problems.append(
            Problem(
                source,
                "is not a Dribdat data package (no `resources`) "
                "nor an activity feed (no `activities` list)",
            )
        )


def _package(
    doc: dict[str, Any], source: str, resolve: Resolver, problems: list[Problem]
) -> Package | None:
    sources = doc.get("sources")
    first = sources[0] if isinstance(sources, list) and sources else None
    title = first.get("title") if isinstance(first, dict) else None
    if title != "dribdat":
        problems.append(
            Problem(
                source,
                f"is not a Dribdat package: sources[0].title is {title!r}, expected 'dribdat'",
                None,
                "sources",
            )
        )
        return None
    resources = doc["resources"]
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        problems.append(Problem(source, "`resources` must be a list of objects", None, "resources"))
        return None
    count = len(problems)
    ignored: set[str] = set()
    extra: dict[str, list[Any]] = {}
    tables: dict[str, list[Row]] = {}
    for res in resources:
        name = str(res.get("name", ""))
        kind = RESOURCE_NAMES.get(name)
        if kind is None:
            if isinstance(res.get("data"), list) and name not in ("readme", ""):
                extra[name] = res["data"]
            else:
                ignored.add(f"resource {name!r}")
            continue
        data = _resource_data(res, name, source, resolve, problems)
        if data is not None:
            tables.setdefault(kind, []).extend(_rows(data, name, source, ignored, problems))
    events = tables.get("events", [])
    if len(problems) == count and len(events) != 1:
        problems.append(
            Problem(source, f"expected exactly one event, found {len(events)}", None, "events")
        )
    if len(problems) > count:
        return None
    path = first.get("path") if isinstance(first, dict) else None
    return Package(
        source=source,
        sources_path=path if isinstance(path, str) else "",
        event=events[0],
        projects=tables.get("projects", []),
        categories=tables.get("categories", []),
        people=tables.get("users", []),
        activities=tables.get("activities", []),
        ignored=ignored,
        extra_resources=extra,
        license=_license(doc),
        contributors=_contributors(doc),
    )


def _contributors(doc: dict[str, Any]) -> tuple[Contributor, ...]:
    """A package's contributors with a name; fields that are not text are left out."""
    given = doc.get("contributors")
    people: list[Contributor] = []
    for item in given if isinstance(given, list) else []:
        if not isinstance(item, dict):
            continue
        fields = {
            k: v.strip() for k, v in item.items() if k in CONTRIBUTOR_KEYS and isinstance(v, str)
        }
        if fields.get("title"):
            people.append(Contributor(**fields))
    return tuple(people)


def _license(doc: dict[str, Any]) -> tuple[str, str]:
    """The name and link of a package's first licence, or empty strings."""
    licenses = doc.get("licenses")
    first = licenses[0] if isinstance(licenses, list) and licenses else None
    if not isinstance(first, dict):
        return "", ""
    name, path = first.get("name"), first.get("path")
    return (name if isinstance(name, str) else ""), (path if isinstance(path, str) else "")


def _resource_data(
    res: dict[str, Any], name: str, source: str, resolve: Resolver, problems: list[Problem]
) -> list[Any] | None:
    """Inline `data`, or the JSON/CSV file that `path` names inside the export."""
    if "data" in res:
        if isinstance(res["data"], list):
            return res["data"]
        problems.append(Problem(source, f"resource {name!r}: `data` must be a list", None, "data"))
        return None
    rel = res.get("path")
    if not isinstance(rel, str) or "://" in rel or rel.startswith("/") or ".." in rel.split("/"):
        problems.append(
            Problem(source, f"resource {name!r}: needs inline `data` or a relative `path`")
        )
        return None
    where = f"{source} -> {rel}"
    raw = resolve(rel)
    if raw is None:
        problems.append(
            Problem(source, f"resource {name!r}: file {rel!r} is missing", None, "path")
        )
        return None
    body = _decode(raw, where, problems)
    if body is None:
        return None
    if rel.lower().endswith(".csv") or res.get("format") == "csv":
        return list(csv.DictReader(io.StringIO(body, newline="")))
    doc = _load_json(raw, where, problems)
    if isinstance(doc, dict) and len(doc) == 1:
        doc = next(iter(doc.values()))
    if doc is not None and not isinstance(doc, list):
        problems.append(Problem(where, f"resource {name!r}: expected a list of rows"))
        return None
    return doc


def _rows(
    data: list[Any], resource: str, source: str, ignored: set[str], problems: list[Problem]
) -> list[Row]:
    """Parsed rows; unknown fields ride along in `extra["unknown"]`, except for people."""
    kind = RESOURCE_NAMES[resource]
    parser = PARSERS[kind]
    rows: list[Row] = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            problems.append(Problem(source, f"resource {resource!r}: expected an object", number))
            continue
        try:
            row = parser(item)
        except RowError as exc:
            problems.append(Problem(source, f"resource {resource!r}: {exc}", number, exc.field))
            continue
        if row is None:
            continue
        unknown = unknown_fields(kind, item)
        if kind == "users":  # private data (e-mail, password hashes ...) is never kept
            ignored.update(f"users.{name}" for name in unknown)
        else:
            row.extra["unknown"] = {name: item[name] for name in unknown}
        rows.append(row)
    return rows
