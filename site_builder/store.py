"""The one reader and writer of `content/`.

Loading checks everything a build relies on (types, keys, references, stray files) and
reports every problem with file, row and field. Saving is deterministic (UTF-8, LF, rows
in key order, fixed columns) and writes only files whose bytes change, atomically.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
import json
import os
import re
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from dataclasses import fields as dc_fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from . import schema
from .config import SiteConfig, Stages, load_config, load_stages, save_config
from .errors import ContentError, Problem
from .fsutil import locked, write_if_changed
from .model import Activity, Category, Event, Person, Project, Site

STATE_DIR = ".jamdat"
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
        return text
    if field.type == "integer":
        if not _INT_RE.match(text):
            raise ValueError(f"{text!r} is not a whole number")
        return int(text)
    if field.type == "number":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    if field.type == "boolean":
        if text not in ("true", "false"):
            raise ValueError(f"{text!r} is not a boolean: use true or false")
        return text == "true"
    if not _DATETIME_RE.match(text):
        raise ValueError(f"{text!r} is not a date and time like 2024-03-24T09:00:00")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid date and time ({exc})") from None


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


def _read_text(path: Path, rel: str, problems: list[Problem]) -> str | None:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(Problem(rel, f"is not UTF-8 text (bad byte at offset {exc.start})", line))
        return None
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_table(
    content: Path, table: schema.Table, problems: list[Problem]
) -> list[tuple[int, Any]]:
    """Rows of one table as (row number, record), or [] with problems noted."""
    path = content / table.path
    if not path.exists():
        return []
    text = _read_text(path, table.path, problems)
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
    missing = [f.name for f in table.fields if f.required and f.name not in header]
    for name in unknown:
        problems.append(Problem(table.path, "unknown column", 1, name))
    for name in missing:
        problems.append(Problem(table.path, "required column is missing", 1, name))
    if unknown or missing:
        return []
    cls = RECORD_TYPES[table.name]
    columns = [by_name[name] for name in header]
    records: list[tuple[int, Any]] = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            problems.append(
                Problem(
                    table.path, f"has {len(row)} cells but the header has {len(header)}", number
                )
            )
            continue
        values: dict[str, Any] = {}
        ok = True
        for field, cell in zip(columns, row, strict=True):
            try:
                values[field.name] = parse_cell(field, cell)
            except ValueError as exc:
                problems.append(Problem(table.path, str(exc), number, field.name))
                ok = False
        if ok:
            records.append((number, cls(**values)))
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


def load(content: Path, reuse: TextReuse | None = None) -> Site:
    """Load and check a whole archive. Raises ContentError listing every problem found.
    With `reuse` (a previous load and the text files unchanged since), those texts are
    taken from the previous records instead of being read again."""
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
    events: dict[str, Event] = _keyed(
        _read_table(content, E, problems), E, lambda r: r.slug, problems, rows
    )
    categories: dict[tuple[str, str], Category] = _keyed(
        _read_table(content, C, problems), C, lambda r: (r.event, r.slug), problems, rows
    )
    projects: dict[tuple[str, str], Project] = _keyed(
        _read_table(content, P, problems), P, lambda r: (r.event, r.slug), problems, rows
    )
    activities: dict[str, Activity] = _keyed(
        _read_table(content, A, problems), A, lambda r: r.id, problems, rows
    )
    people: dict[str, Person] = _keyed(
        _read_table(content, H, problems), H, lambda r: r.username, problems, rows
    )

    for c in categories.values():
        if c.event not in events:
            problems.append(
                Problem(C.path, f"event {c.event!r} does not exist", rows[id(c)], "event")
            )
    for p in projects.values():
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
        if (a.event, a.project) not in projects:
            problems.append(
                Problem(
                    A.path,
                    f"project {a.event}/{a.project} does not exist",
                    rows[id(a)],
                    "project",
                )
            )

    _attach_texts(content, events, projects, problems, reuse)
    if problems:
        raise ContentError(problems)
    return Site(config, stages, events, categories, projects, activities, people)


@dataclass(frozen=True, slots=True)
class TextReuse:
    """Texts a load may take from a previous one: `unchanged` names (relative paths) the
    text files whose stats are the same as when `site` was loaded."""

    site: Site
    unchanged: Container[str]

    def text(self, rel: str, slot: TextSlot) -> str | None:
        """The previous text of an unchanged file, or None (read it)."""
        if rel not in self.unchanged:
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


def _attach_texts(
    content: Path,
    events: dict[str, Event],
    projects: dict[tuple[str, str], Project],
    problems: list[Problem],
    reuse: TextReuse | None = None,
) -> None:
    """Read the Markdown files into their records; a file without a row is an error."""
    for path, rel in _text_files(content):
        slot = _text_slot(rel)
        if slot is None:
            continue
        known = reuse.text(rel, slot) if reuse is not None else None
        text = known + "\n" if known is not None else _read_text(path, rel, problems)
        if text is None:
            continue
        kind, key, name = slot
        if kind == "project":
            project = projects.get(key)
            if project is None:
                problems.append(
                    Problem(
                        rel,
                        f"has no row in data/projects.csv (event {key[0]!r}, slug {key[1]!r})",
                    )
                )
            else:
                setattr(project, name, _strip_final_newline(text))
            continue
        event = events.get(key)
        if event is None:
            problems.append(Problem(rel, f"has no row in data/events.csv (slug {key!r})"))
        elif rel.count("/") == 2 and rel.rsplit("/", 1)[1] not in _EVENT_FILES:
            problems.append(
                Problem(rel, f"unknown event text (known: {', '.join(sorted(_EVENT_FILES))})")
            )
        else:
            setattr(event, name, _strip_final_newline(text))


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
        path = content / rel
        text = _read_text(path, rel, problems) if path.is_file() else ""
        if text is None:
            continue
        fresh = copy.copy(record)  # a new object: digests are memoised by identity
        setattr(fresh, name, _strip_final_newline(text))
        if isinstance(fresh, Project):
            projects[key] = fresh
        else:
            events[key] = fresh
    if problems:
        raise ContentError(problems)
    return dataclasses.replace(site, events=events, projects=projects)


_EVENT_FILES = {f"{name}.md" for name in EVENT_TEXTS} | {f"{EVENT_CSS}.css"}


def _text_files(content: Path) -> Iterable[tuple[Path, str]]:
    """Every long-text file the store manages, with its path relative to `content`, in a
    stable order (os.scandir and string paths: pathlib costs more than reading the files)."""
    for top in ("projects", "synced"):
        for event in _entries(content / top, dirs=True):
            for name in _entries(content / top / event, dirs=False):
                if name.endswith(".md"):
                    rel = f"{top}/{event}/{name}"
                    yield content / rel, rel
    events = content / "events"
    for name in _entries(events, dirs=False):
        if name.endswith(".md"):
            yield events / name, f"events/{name}"
    for event in _entries(events, dirs=True):
        for name in _entries(events / event, dirs=False):
            yield events / event / name, f"events/{event}/{name}"


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


def save(content: Path, site: Site) -> list[str]:
    """Write the archive; returns the paths that changed (written or removed)."""
    files = render_files(site)
    changed: list[str] = []
    with locked(state_dir(content) / "content.lock"):
        for rel, text in sorted(files.items()):
            if write_if_changed(content / rel, text.encode("utf-8")):
                changed.append(rel)
        for path, rel in list(_text_files(content)):
            if rel not in files:
                path.unlink()
                changed.append(rel)
                if path.parent != content / "events" and not any(path.parent.iterdir()):
                    path.parent.rmdir()
        if not (content / "site.yaml").exists() or _safe(load_config, content) != site.config:
            write_if_changed(content / "site.yaml", save_config(content, site.config).encode())
            changed.append("site.yaml")
        if _safe(load_stages, content) != site.stages:
            write_if_changed(content / "stages.yaml", site.stages.to_yaml().encode())
            changed.append("stages.yaml")
    return changed


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


def record_fields(cls: type[Any]) -> list[str]:
    return [f.name for f in dc_fields(cls)]
