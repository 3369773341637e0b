"""Loading an archive: every check a build relies on (columns, types, keys, references,
time zones, stray files), every problem reported with file, row and field."""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
import os
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ..config import SiteConfig, Stages, load_config, load_stages
from ..errors import ContentError, Problem
from ..model import Activity, Category, Event, Person, Project, Site
from . import contentfs, schema, txn
from .cells import parse_cell
from .layout import (
    EVENT_FILES,
    EVENTS_DIR,
    PROJECTS_DIR,
    SYNCED_DIR,
    TextSlot,
    is_synced,
    text_slot,
)
from .rules import (
    ANNOUNCE,
    EVENT_TEXT_FIELDS,
    POST,
    PROJECT_TEXT_FIELDS,
    reserved_problem,
    zone_problem,
)
from .textlimits import MAX_TEXT_CHARS, over_limit

STATE_DIR = contentfs.STATE_DIR

R = TypeVar("R")
RECORD_TYPES: dict[str, type[Any]] = {
    "events": Event,
    "categories": Category,
    "projects": Project,
    "activities": Activity,
    "people": Person,
}


# ---------------------------------------------------------------- reading


@dataclass(slots=True)
class Files:
    """The bytes of an archive's files as read at one moment (inside `txn.consistent`),
    and the list of its text files then: what a load parses afterwards, outside that
    moment, so that a reader holds a commit up only while it reads bytes."""

    content: Path
    texts: list[str] = field(default_factory=list)
    data: dict[str, bytes | None] = field(default_factory=dict)
    errors: dict[str, ContentError] = field(default_factory=dict)

    def fetch(self, rel: str, reader: contentfs.Reader) -> None:
        try:
            self.data[rel] = reader.read_optional(rel)
        except ContentError as exc:
            self.errors[rel] = exc

    def read(self, rel: str, problems: list[Problem]) -> bytes | None:
        """The bytes of `rel` (None when missing), or None with its problem noted."""
        if rel in self.errors:
            problems.extend(self.errors[rel].problems)
            return None
        return self.data[rel]

    def text(self, rel: str, problems: list[Problem]) -> str | None:
        """The text of `rel` ("" when it is missing), or None with the problem noted."""
        data = self.read(rel, problems)
        return None if rel in self.errors else "" if data is None else _decode(data, rel, problems)


SETTINGS = ("site.yaml", "stages.yaml")
PARSED = (*SETTINGS, *(table.path for table in schema.TABLES))
"""The files a load parses besides the long texts: the settings and the tables."""


def _gather(content: Path, cache: LoadCache | None) -> Files:
    """Read the bytes of every file a load parses: settings, tables, and the text files
    `cache` cannot give. A symbolic link anywhere is refused first (see `contentfs`)."""
    contentfs.check(content)
    files = Files(content)
    with contentfs.Reader(content) as reader:
        for rel in PARSED:
            files.fetch(rel, reader)
        files.texts = list(_text_files(content))
        for rel in files.texts:
            slot = text_slot(rel)
            if slot is not None and (cache is None or cache.text(rel, slot) is None):
                files.fetch(rel, reader)
    return files


def _read_text(content: Path, rel: str, problems: list[Problem]) -> str | None:
    """The text of the file `rel` ("" when it is missing), or None with the problem noted."""
    try:
        data = contentfs.read_optional(content, rel)
    except ContentError as exc:
        problems.extend(exc.problems)
        return None
    return "" if data is None else _decode(data, rel, problems)


def _decode(data: bytes, rel: str, problems: list[Problem]) -> str | None:
    """UTF-8 text with LF line ends, or None with the problem noted."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(Problem(rel, f"is not UTF-8 text (bad byte at offset {exc.start})", line))
        return None
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_table(
    files: Files, table: schema.Table, problems: list[Problem], cache: LoadCache
) -> list[tuple[int, Any]]:
    """Rows of one table as (row number, record), or [] with problems noted. A row whose
    cells are those of a row of the last load gives the record parsed then."""
    data = files.read(table.path, problems)
    text = None if data is None else _decode(data, table.path, problems)
    if text is None:
        return []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    line = 1  # where the row being read starts: a bad quote is reported where it opened
    try:
        for row in reader:
            rows.append(row)
            line = reader.line_num + 1
    except csv.Error as exc:
        problems.append(
            Problem(
                table.path,
                f"broken CSV quoting in the row starting on line {line} ({exc}): "
                'a quoted cell must end with " and a doubled "" stands for one quote',
                len(rows) + 1,
            )
        )
        return []
    if not rows:
        problems.append(Problem(table.path, "has no header row", 1))
        return []
    header = rows[0]
    by_name = {f.name: f for f in table.fields}
    unknown = [name for name in header if name not in by_name]
    twice = sorted({name for name in header if header.count(name) > 1})
    missing, _newer = table.absent(header)  # newer columns read as empty (see Field.added)
    for name in unknown:
        problems.append(Problem(table.path, "unknown column", 1, name))
    for name in twice:
        problems.append(Problem(table.path, "column appears more than once", 1, name))
    for name in missing:
        # An absent column would read as empty everywhere (no project a challenge ...).
        problems.append(
            Problem(
                table.path,
                "column is missing from the header (every column of the schema must be "
                "there; leave its cells empty when unused)",
                1,
                name,
            )
        )
    if unknown or twice or missing:
        return []
    cls = RECORD_TYPES[table.name]
    columns = [by_name[name] for name in header]
    records: list[tuple[int, Any]] = []
    last_header, known = cache.rows.get(table.path, ((), {}))
    if last_header != tuple(header):
        known = {}
    parsed: dict[tuple[str, ...], Any] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = tuple(row)
        found = known.get(cells)
        if found is not None:
            cache.reused.add(id(found))
            records.append((number, found))
            parsed[cells] = found
            continue
        if len(row) != len(header):
            problems.append(
                Problem(
                    table.path, f"has {len(row)} cells but the header has {len(header)}", number
                )
            )
            continue
        values: dict[str, Any] = {}
        ok = True
        for column, cell in zip(columns, row, strict=True):
            try:
                values[column.name] = parse_cell(column, cell)
            except ValueError as exc:
                problems.append(Problem(table.path, str(exc), number, column.name))
                ok = False
        if ok:
            record = cls(**values)
            records.append((number, record))
            parsed[cells] = record
    cache.rows[table.path] = (tuple(header), parsed)
    return records


def _keyed(
    rows: list[tuple[int, R]],
    table: schema.Table,
    key: Callable[[R], Any],
    problems: list[Problem],
    row_of: dict[int, int],
) -> dict[Any, R]:
    """Index records by primary key, noting duplicates; remembers each record's row."""
    out: dict[Any, R] = {}
    for number, record in rows:
        k = key(record)
        if k in out:
            problems.append(
                Problem(
                    table.path,
                    f"duplicate key {k!r} (first used in row {row_of[id(out[k])]})",
                    number,
                    table.primary_key[-1],
                )
            )
            continue
        out[k] = record
        row_of[id(record)] = number
    return out


def load(content: Path, cache: LoadCache | None = None) -> Site:
    """The archive as one committed state (`txn.consistent`), checked; see `parse`."""
    return parse(gather(content, cache), cache)


def gather(content: Path, cache: LoadCache | None = None) -> Files:
    """The bytes a load of the archive parses, as one committed state."""
    return txn.consistent(content, lambda: _gather(content, cache))


@dataclass(frozen=True, slots=True)
class Checkout:
    """An archive loaded to be changed, with what was read: a save states it, and is
    refused when another writer changed those files since (see `txn.Read`)."""

    site: Site
    read: txn.Read


def checkout(content: Path, cache: LoadCache | None = None) -> Checkout:
    """Load the archive to change it: the files' stamps are taken before they are read."""

    def read() -> tuple[txn.Read, Files]:
        seen = txn.snapshot(content)
        return seen, _gather(content, cache)

    seen, files = txn.consistent(content, read)
    return Checkout(parse(files, cache), seen)


def checkout_or_new(content: Path, config: SiteConfig | None = None) -> Checkout:
    """`checkout`, or an empty archive to start when `content` is missing or empty."""
    if not _has_content(content):
        return Checkout(new_site(config), txn.consistent(content, lambda: txn.snapshot(content)))
    return checkout(content)


def _has_content(content: Path) -> bool:
    return content.exists() and any(p for p in content.iterdir() if p.name != STATE_DIR)


def parse(files: Files, cache: LoadCache | None = None) -> Site:
    """Check and parse a whole archive from its gathered files. Raises ContentError
    listing every problem found. With a `cache` kept from the previous load, unchanged
    rows and texts are taken from it instead of being parsed again (see LoadCache)."""
    content = files.content
    problems: list[Problem] = []
    config = SiteConfig()
    stages = Stages()
    try:
        config = load_config(content, files.read("site.yaml", problems))
    except ContentError as exc:
        problems.extend(exc.problems)
    try:
        stages = load_stages(content, files.read("stages.yaml", problems))
    except ContentError as exc:
        problems.extend(exc.problems)

    E, C, P, A, H = schema.TABLES
    rows: dict[int, int] = {}
    cache = cache if cache is not None else LoadCache()
    cache.reused = set()
    events: dict[str, Event] = _keyed(
        _read_table(files, E, problems, cache), E, lambda r: r.slug, problems, rows
    )
    categories: dict[tuple[str, str], Category] = _keyed(
        _read_table(files, C, problems, cache), C, lambda r: (r.event, r.slug), problems, rows
    )
    projects: dict[tuple[str, str], Project] = _keyed(
        _read_table(files, P, problems, cache), P, lambda r: (r.event, r.slug), problems, rows
    )
    activities: dict[str, Activity] = _keyed(
        _read_table(files, A, problems, cache), A, lambda r: r.id, problems, rows
    )
    people: dict[str, Person] = _keyed(
        _read_table(files, H, problems, cache), H, lambda r: r.username, problems, rows
    )

    for e in events.values():
        if reserved := reserved_problem(e.slug, event=True):
            problems.append(Problem(E.path, reserved, rows[id(e)], "slug"))
        zone_error = e.timezone and zone_problem(e.timezone)
        if zone_error:
            problems.append(
                Problem(
                    E.path,
                    f"{zone_error}, or leave it empty for site.yaml's timezone",
                    rows[id(e)],
                    "timezone",
                )
            )
    for c in categories.values():
        if c.event not in events:
            problems.append(
                Problem(C.path, f"event {c.event!r} does not exist", rows[id(c)], "event")
            )
    for p in projects.values():
        if reserved := reserved_problem(p.slug, event=False):
            problems.append(Problem(P.path, reserved, rows[id(p)], "slug"))
        if p.event not in events:
            problems.append(
                Problem(P.path, f"event {p.event!r} does not exist", rows[id(p)], "event")
            )
        elif p.category and (p.event, p.category) not in categories:
            problems.append(
                Problem(
                    P.path,
                    f"category {p.category!r} does not exist in event {p.event!r}",
                    rows[id(p)],
                    "category",
                )
            )
    for a in activities.values():
        if a.action in (POST, ANNOUNCE) and len(a.content) > MAX_TEXT_CHARS:  # others: plain
            problems.append(
                Problem(
                    A.path,
                    over_limit("the post", len(a.content), MAX_TEXT_CHARS),
                    rows[id(a)],
                    "content",
                )
            )
        if not a.project:
            problem = None
            if a.action != ANNOUNCE:
                problem = f"is required but empty (only an {ANNOUNCE!r} activity has none)"
            elif a.event not in events:
                problem = f"event {a.event!r} does not exist"
            if problem:
                field = "project" if a.action != ANNOUNCE else "event"
                problems.append(Problem(A.path, problem, rows[id(a)], field))
        elif (a.event, a.project) not in projects:
            problems.append(
                Problem(
                    A.path,
                    f"project {a.event}/{a.project} does not exist",
                    rows[id(a)],
                    "project",
                )
            )

    _attach_texts(files, events, projects, problems, cache)
    if problems:
        raise ContentError(problems)
    site = Site(config, stages, events, categories, projects, activities, people)
    cache.site = site
    return site


@dataclass(slots=True)
class LoadCache:
    """What a load can take from the one before (a build session keeps one): the records of
    table rows whose cells are unchanged, and the texts of files unchanged since `site`
    was loaded (`unchanged`, set by the caller from file stats). Reused records are shared
    with the previous archive, so plans and digests memoised by identity still apply."""

    site: Site | None = None
    unchanged: Container[str] = ()
    rows: dict[str, tuple[tuple[str, ...], dict[tuple[str, ...], Any]]] = field(
        default_factory=dict
    )
    """Per table path: the header and the records by their row's cells, of the last load."""
    reused: set[int] = field(default_factory=set)
    """Ids of the records the current load took from `rows`."""

    def text(self, rel: str, slot: TextSlot) -> str | None:
        """The previous text of an unchanged file, or None (read it)."""
        if self.site is None or rel not in self.unchanged:
            return None
        kind, key, name = slot
        record = (self.site.projects if kind == "project" else self.site.events).get(key)
        return None if record is None else str(getattr(record, name))


def _attach_texts(
    files: Files,
    events: dict[str, Event],
    projects: dict[tuple[str, str], Project],
    problems: list[Problem],
    cache: LoadCache,
) -> None:
    """Read the Markdown files into their records; a file without a row is an error.
    Records reused from the last load are never changed: one whose texts differ now is
    replaced by a copy (which, like them, still holds the texts of files gone since)."""
    given: set[tuple[Any, str]] = set()
    """(record key, field) of each text a file gives now."""
    copies: set[int] = set()

    def put(records: dict[Any, Any], key: Any, name: str, text: str) -> None:
        record = records[key]
        given.add((key, name))
        if id(record) in cache.reused:
            if getattr(record, name) == text:
                return
            record = records[key] = copy.copy(record)
            copies.add(id(record))
        setattr(record, name, text)

    for rel in files.texts:
        slot = text_slot(rel)
        if slot is None:
            continue
        text = cache.text(rel, slot)
        if text is None:
            read = files.text(rel, problems)
            if read is None:
                continue
            text = _strip_final_newline(read)
        kind, key, name = slot
        if not is_synced(rel) and len(text) > MAX_TEXT_CHARS:
            problems.append(Problem(rel, over_limit("this text", len(text), MAX_TEXT_CHARS)))
            continue
        if kind == "project":
            if key not in projects:
                problems.append(
                    Problem(
                        rel,
                        f"has no row in data/projects.csv (event {key[0]!r}, slug {key[1]!r})",
                    )
                )
            else:
                put(projects, key, name, text)
            continue
        if key not in events:
            problems.append(Problem(rel, f"has no row in data/events.csv (slug {key!r})"))
        elif rel.count("/") == 2 and rel.rsplit("/", 1)[1] not in EVENT_FILES:
            problems.append(
                Problem(rel, f"unknown event text (known: {', '.join(sorted(EVENT_FILES))})")
            )
        else:
            put(events, key, name, text)
    earlier = cache.reused | copies
    _clear_gone_texts(projects, PROJECT_TEXT_FIELDS, earlier, given)
    _clear_gone_texts(events, EVENT_TEXT_FIELDS, earlier, given)


def _clear_gone_texts(
    records: dict[Any, Any], names: tuple[str, ...], earlier: set[int], given: set[tuple[Any, str]]
) -> None:
    """A record reused from the last load, or copied from one, keeps the texts of files
    that are gone now: clear them in a copy."""
    for key, record in records.items():
        if id(record) not in earlier:
            continue
        stale = [n for n in names if getattr(record, n) and (key, n) not in given]
        if stale:
            fresh = records[key] = copy.copy(record)
            for name in stale:
                setattr(fresh, name, "")


def _strip_final_newline(text: str) -> str:
    """Files end with a newline the value does not have (see `render_files`)."""
    return text[:-1] if text.endswith("\n") else text


def text_slots(site: Site, changed: Iterable[str]) -> list[tuple[str, TextSlot]] | None:
    """Each changed file (a path relative to the content) with the record field it fills,
    when every one is a long text of a record `site` has; None when any other kind of
    file changed (a table, a setting, media) or a text file has no record."""
    slots: list[tuple[str, TextSlot]] = []
    for rel in sorted(changed):
        slot = text_slot(rel)
        if slot is None:
            return None
        kind, key, _ = slot
        record = (site.projects if kind == "project" else site.events).get(key)
        if record is None or (kind == "event" and rel.count("/") == 2
                              and rel.rsplit("/", 1)[1] not in EVENT_FILES):  # fmt: skip
            return None
        slots.append((rel, slot))
    return slots


def reload_texts(site: Site, content: Path, changed: Iterable[str]) -> Site | None:
    """A copy of `site` with the given text files (relative paths) read again, sharing
    every untouched record; None when any other kind of file changed, or a text file
    has no record (`text_slots`), so the caller loads everything (and reports what is
    wrong)."""
    slots = text_slots(site, changed)
    if slots is None:
        return None
    events, projects = dict(site.events), dict(site.projects)
    problems: list[Problem] = []
    for rel, (kind, key, name) in slots:
        record: Event | Project = (projects if kind == "project" else events)[key]
        text = _read_text(content, rel, problems)
        if text is None:
            continue
        text = _strip_final_newline(text)
        if not is_synced(rel) and len(text) > MAX_TEXT_CHARS:
            problems.append(Problem(rel, over_limit("this text", len(text), MAX_TEXT_CHARS)))
            continue
        fresh = copy.copy(record)  # a new object: digests are memoised by identity
        setattr(fresh, name, text)
        if isinstance(fresh, Project):
            projects[key] = fresh
        else:
            events[key] = fresh
    if problems:
        raise ContentError(problems)
    return dataclasses.replace(site, events=events, projects=projects)


def _text_files(content: Path) -> Iterable[str]:
    """Every long-text file the store manages, by its path relative to `content`, in a
    stable order (os.scandir and string paths: pathlib costs more than reading the files)."""
    for top in (PROJECTS_DIR, SYNCED_DIR):
        for event in _entries(content / top, dirs=True):
            for name in _entries(content / top / event, dirs=False):
                if name.endswith(".md"):
                    yield f"{top}/{event}/{name}"
    events = content / EVENTS_DIR
    for name in _entries(events, dirs=False):
        if name.endswith(".md"):
            yield f"{EVENTS_DIR}/{name}"
    for event in _entries(events, dirs=True):
        for name in _entries(events / event, dirs=False):
            yield f"{EVENTS_DIR}/{event}/{name}"


def _entries(folder: Path, *, dirs: bool) -> list[str]:
    """Sorted names of the sub-folders (or files) of `folder`; none if it does not exist."""
    try:
        with os.scandir(folder) as it:
            return sorted(e.name for e in it if e.is_dir() == dirs)
    except (FileNotFoundError, NotADirectoryError):
        return []


def new_site(config: SiteConfig | None = None) -> Site:
    """An empty archive."""
    return Site(config or SiteConfig(), Stages())
