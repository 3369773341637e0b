"""The one reader and writer of `content/`.

Loading checks everything a build relies on (columns, types, keys, references, time zones,
stray files) and reports every problem with file, row and field. Saving is deterministic
(UTF-8, LF, rows in key order, fixed columns) and writes only files whose bytes change,
all of them or none.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
import json
import os
import re
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from . import contentfs, schema
from .config import SiteConfig, Stages, load_config, load_stages, save_config
from .errors import ContentError, Problem
from .fsutil import holds, replace_all
from .locks import locked
from .model import Activity, Category, Event, Person, Project, Site
from .slugs import EVENT_PAGES, SITE_PAGES
from .textlimits import MAX_TEXT_CHARS, over_limit
from .zones import zone_problem

STATE_DIR = contentfs.STATE_DIR
EVENT_TEXTS = ("instruction", "boilerplate", "aftersubmit", "community_embed")
EVENT_CSS = "custom_css"

_SLUG_RE = re.compile(schema.SLUG_PATTERN)
_INT_RE = re.compile(r"^-?\d+$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?$")

R = TypeVar("R")
RECORD_TYPES: dict[str, type[Any]] = {
    "events": Event,
    "categories": Category,
    "projects": Project,
    "activities": Activity,
    "people": Person,
}


def state_dir(content: Path) -> Path:
    """Where caches and the build state of an archive live (never committed)."""
    return content / STATE_DIR


# ---------------------------------------------------------------- cell conversion


def parse_cell(field: schema.Field, text: str) -> Any:
    """Turn one CSV cell into a Python value; raises ValueError with a readable reason."""
    if text == "":
        if field.required:
            raise ValueError("is required but empty")
        return "" if field.type == "string" else None
    if field.type == "string":
        if field.slug and not _SLUG_RE.match(text):
            raise ValueError(
                f"{text!r} is not a valid slug: use lowercase letters, digits and single "
                "hyphens (no spaces, '/' or '..')"
            )
        if field.url:
            _check_url(text)
        return text
    if field.type == "integer":
        if not _INT_RE.match(text):
            raise ValueError(f"{_short(text)} is not a whole number")
        number = int(text) if len(text) <= 20 else None  # int() refuses over 4,300 digits
        if number is None or not -(2**63) <= number < 2**63:
            raise ValueError(f"{_short(text)} is out of range: at most 19 digits (2^63 - 1)")
        return number
    if field.type == "number":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    if field.type == "boolean":
        if text not in ("true", "false"):
            raise ValueError(f"{text!r} is not a boolean: use true or false")
        return text == "true"
    match = _DATETIME_RE.match(text)
    if not match:
        raise ValueError(f"{_short(text)} is not a date and time like 2024-03-24T09:00:00")
    if field.local_time and match.group(1):
        raise ValueError(
            f"{text!r} has a UTC offset, but event times are local wall-clock times in the "
            f"event's timezone: write {text[:19]!r} and set the timezone column"
        )
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid date and time ({exc})") from None
    first, last = schema.YEARS
    if not first <= value.year <= last:
        raise ValueError(
            f"{text!r} is out of range: dates must fall in the years {first} to {last}"
        )
    return value


def _short(text: str) -> str:
    """A cell quoted for a message, cut short when it is long."""
    return repr(text) if len(text) <= 60 else f"{text[:50]!r}... ({len(text)} characters)"


def _check_url(text: str) -> None:
    """Refuse addresses that could not become a folder of the site (see schema.Field.url)."""
    if len(text) > schema.URL_MAX_LENGTH:
        raise ValueError(f"{_short(text)} is too long: at most {schema.URL_MAX_LENGTH} characters")
    if any(c.isspace() or not c.isprintable() for c in text):
        raise ValueError(f"{_short(text)} contains a space or control character")
    segment = max(urlsplit(text).path.split("/"), key=len)
    if len(segment) > schema.URL_MAX_SEGMENT:
        raise ValueError(
            f"{_short(text)} has a path segment of {len(segment)} characters: at most "
            f"{schema.URL_MAX_SEGMENT}"
        )


def format_cell(value: Any) -> str:
    """The canonical CSV text of a value; `parse_cell(format_cell(v)) == v`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.strftime("%Y-%m-%dT%H:%M:%S")
        if value.utcoffset() == UTC.utcoffset(None):
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return value.isoformat(timespec="seconds")
    return str(value)


# ---------------------------------------------------------------- reading


def _read(content: Path, rel: str, problems: list[Problem]) -> bytes | None:
    """The bytes of the file `rel` (never through a symbolic link), or None when it is
    missing or a link (then noted in `problems`)."""
    try:
        return contentfs.read_optional(content, rel)
    except ContentError as exc:
        problems.extend(exc.problems)
        return None


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
    content: Path, table: schema.Table, problems: list[Problem], cache: LoadCache
) -> list[tuple[int, Any]]:
    """Rows of one table as (row number, record), or [] with problems noted. A row whose
    cells are those of a row of the last load gives the record parsed then."""
    data = _read(content, table.path, problems)
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
    missing = [f.name for f in table.fields if f.name not in header]
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
    """Load and check a whole archive. Raises ContentError listing every problem found.
    With a `cache` kept from the previous load, unchanged rows and texts are taken from it
    instead of being parsed and read again (see LoadCache). A symbolic link anywhere in
    the archive is refused before anything is read (see `contentfs`)."""
    contentfs.check(content)
    problems: list[Problem] = []
    config = SiteConfig()
    stages = Stages()
    try:
        config = load_config(content)
    except ContentError as exc:
        problems.extend(exc.problems)
    try:
        stages = load_stages(content)
    except ContentError as exc:
        problems.extend(exc.problems)

    E, C, P, A, H = schema.TABLES
    rows: dict[int, int] = {}
    cache = cache if cache is not None else LoadCache()
    cache.reused = set()
    events: dict[str, Event] = _keyed(
        _read_table(content, E, problems, cache), E, lambda r: r.slug, problems, rows
    )
    categories: dict[tuple[str, str], Category] = _keyed(
        _read_table(content, C, problems, cache), C, lambda r: (r.event, r.slug), problems, rows
    )
    projects: dict[tuple[str, str], Project] = _keyed(
        _read_table(content, P, problems, cache), P, lambda r: (r.event, r.slug), problems, rows
    )
    activities: dict[str, Activity] = _keyed(
        _read_table(content, A, problems, cache), A, lambda r: r.id, problems, rows
    )
    people: dict[str, Person] = _keyed(
        _read_table(content, H, problems, cache), H, lambda r: r.username, problems, rows
    )

    for e in events.values():
        if e.slug in SITE_PAGES:
            problems.append(
                Problem(
                    E.path, _reserved(e.slug, "the site's own", SITE_PAGES), rows[id(e)], "slug"
                )
            )
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
        if p.slug in EVENT_PAGES:
            problems.append(
                Problem(
                    P.path, _reserved(p.slug, "an event's own", EVENT_PAGES), rows[id(p)], "slug"
                )
            )
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
        if a.action == "post" and len(a.content) > MAX_TEXT_CHARS:  # others are not rendered
            problems.append(
                Problem(
                    A.path,
                    over_limit("the post", len(a.content), MAX_TEXT_CHARS),
                    rows[id(a)],
                    "content",
                )
            )
        if (a.event, a.project) not in projects:
            problems.append(
                Problem(
                    A.path,
                    f"project {a.event}/{a.project} does not exist",
                    rows[id(a)],
                    "project",
                )
            )

    _attach_texts(content, events, projects, problems, cache)
    if problems:
        raise ContentError(problems)
    site = Site(config, stages, events, categories, projects, activities, people)
    cache.site = site
    return site


def _reserved(slug: str, whose: str, names: frozenset[str]) -> str:
    return (
        f"slug {slug!r} is reserved for {whose} pages (reserved: {', '.join(sorted(names))}): "
        "choose another"
    )


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


TextSlot = tuple[str, Any, str]
"""Where a text file's content goes: ("project", (event, slug), "pitch" | "readme") or
("event", slug, field name)."""


def _text_slot(rel: str) -> TextSlot | None:
    """The record field a text file (path relative to the content) fills, by its path
    alone; None for files that are not long texts (tables, settings, media)."""
    parts = rel.split("/")
    if len(parts) == 3 and parts[0] in ("projects", "synced") and parts[2].endswith(".md"):
        field = "pitch" if parts[0] == "projects" else "readme"
        return ("project", (parts[1], parts[2][:-3]), field)
    if len(parts) == 2 and parts[0] == "events" and parts[1].endswith(".md"):
        return ("event", parts[1][:-3], "description")
    if len(parts) == 3 and parts[0] == "events":
        return ("event", parts[1], parts[2].rsplit(".", 1)[0])
    return None


_PROJECT_TEXT_FIELDS = ("pitch", "readme")
_EVENT_TEXT_FIELDS = ("description", *EVENT_TEXTS, EVENT_CSS)


def _attach_texts(
    content: Path,
    events: dict[str, Event],
    projects: dict[tuple[str, str], Project],
    problems: list[Problem],
    cache: LoadCache,
) -> None:
    """Read the Markdown files into their records; a file without a row is an error.
    Records reused from the last load are never changed: one whose texts differ now is
    replaced by a copy."""
    given: set[tuple[int, str]] = set()

    def put(records: dict[Any, Any], key: Any, name: str, text: str) -> None:
        record = records[key]
        if id(record) in cache.reused:
            if getattr(record, name) == text:
                given.add((id(record), name))
                return
            record = records[key] = copy.copy(record)
        setattr(record, name, text)

    for rel in _text_files(content):
        slot = _text_slot(rel)
        if slot is None:
            continue
        text = cache.text(rel, slot)
        if text is None:
            read = _read_text(content, rel, problems)
            if read is None:
                continue
            text = _strip_final_newline(read)
        kind, key, name = slot
        if not rel.startswith("synced/") and len(text) > MAX_TEXT_CHARS:
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
        elif rel.count("/") == 2 and rel.rsplit("/", 1)[1] not in _EVENT_FILES:
            problems.append(
                Problem(rel, f"unknown event text (known: {', '.join(sorted(_EVENT_FILES))})")
            )
        else:
            put(events, key, name, text)
    _clear_gone_texts(projects, _PROJECT_TEXT_FIELDS, cache.reused, given)
    _clear_gone_texts(events, _EVENT_TEXT_FIELDS, cache.reused, given)


def _clear_gone_texts(
    records: dict[Any, Any], names: tuple[str, ...], reused: set[int], given: set[tuple[int, str]]
) -> None:
    """A reused record keeps the texts of files that are gone now: clear them in a copy."""
    for key, record in records.items():
        if id(record) not in reused:
            continue
        stale = [n for n in names if getattr(record, n) and (id(record), n) not in given]
        if stale:
            fresh = records[key] = copy.copy(record)
            for name in stale:
                setattr(fresh, name, "")


def _strip_final_newline(text: str) -> str:
    """Files end with a newline the value does not have (see `render_files`)."""
    return text[:-1] if text.endswith("\n") else text


def reload_texts(site: Site, content: Path, changed: Iterable[str]) -> Site | None:
    """A copy of `site` with the given text files (relative paths) read again, sharing
    every untouched record; None when any other kind of file changed, or a text file
    has no record, so the caller loads everything (and reports what is wrong)."""
    events, projects = dict(site.events), dict(site.projects)
    problems: list[Problem] = []
    for rel in sorted(changed):
        slot = _text_slot(rel)
        if slot is None:
            return None
        kind, key, name = slot
        record: Event | Project | None = (projects if kind == "project" else events).get(key)
        if record is None or (kind == "event" and rel.count("/") == 2
                              and rel.rsplit("/", 1)[1] not in _EVENT_FILES):  # fmt: skip
            return None
        text = _read_text(content, rel, problems)
        if text is None:
            continue
        text = _strip_final_newline(text)
        if not rel.startswith("synced/") and len(text) > MAX_TEXT_CHARS:
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


_EVENT_FILES = {f"{name}.md" for name in EVENT_TEXTS} | {f"{EVENT_CSS}.css"}


def _text_files(content: Path) -> Iterable[str]:
    """Every long-text file the store manages, by its path relative to `content`, in a
    stable order (os.scandir and string paths: pathlib costs more than reading the files)."""
    for top in ("projects", "synced"):
        for event in _entries(content / top, dirs=True):
            for name in _entries(content / top / event, dirs=False):
                if name.endswith(".md"):
                    yield f"{top}/{event}/{name}"
    events = content / "events"
    for name in _entries(events, dirs=False):
        if name.endswith(".md"):
            yield f"events/{name}"
    for event in _entries(events, dirs=True):
        for name in _entries(events / event, dirs=False):
            yield f"events/{event}/{name}"


def _entries(folder: Path, *, dirs: bool) -> list[str]:
    """Sorted names of the sub-folders (or files) of `folder`; none if it does not exist."""
    try:
        with os.scandir(folder) as it:
            return sorted(e.name for e in it if e.is_dir() == dirs)
    except (FileNotFoundError, NotADirectoryError):
        return []


# ---------------------------------------------------------------- writing


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


def new_site(config: SiteConfig | None = None) -> Site:
    """An empty archive."""
    return Site(config or SiteConfig(), Stages())


def load_or_new(content: Path, config: SiteConfig | None = None) -> Site:
    """Load an archive, or start one when `content` is missing or empty."""
    if not content.exists() or not any(p for p in content.iterdir() if p.name != STATE_DIR):
        return new_site(config)
    return load(content)
