"""The archive as a build loaded it, kept for the next process: its tables' records as
typed JSON (texts left out) and each long text apart, so that a build after one pitch
changed decodes the rest (~0.1 s at 10,000 projects) instead of loading it (~0.5 s), and
records only the text that changed. Decoding checks every value's type: a damaged or
forged record fails to decode, it never runs code (no pickle). JSON rather than msgpack:
msgpack keeps a time as a UTC instant, JSON keeps its UTC offset (`+05:00`) as loaded."""

from __future__ import annotations

import dataclasses
import math
import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from ..config import SiteConfig, Stages
from ..model import Activity, Category, Event, Person, Project, Site
from .layout import event_text_path, project_text_path, text_slot
from .rules import EVENT_TEXT_FIELDS, PROJECT_TEXT_FIELDS

R = TypeVar("R")

FORMAT = "2"
"""Part of what a stored archive is checked against: bump it when the encoding changes."""


class _Tables(msgspec.Struct, array_like=True):
    """Every record of the tables, in their rows' order, with empty long texts."""

    config: SiteConfig
    stages: Stages
    events: list[Event]
    categories: list[Category]
    projects: list[Project]
    activities: list[Activity]
    people: list[Person]


_DECODER = msgspec.json.Decoder(_Tables)


@dataclass(frozen=True, slots=True)
class Changes:
    """What a record of the loaded archive writes over the last one."""

    tables: bytes | None
    """The encoded tables (`encode_tables`), or None when they are the recorded ones."""
    texts: list[tuple[str, str]]
    """Texts new or changed, by the path of their file (relative to the content)."""
    gone: list[str]
    """Texts no longer there (their file removed or emptied)."""
    whole: bool
    """`texts` are all of them: any other recorded text is dropped."""


def encode_tables(site: Site) -> bytes | None:
    """The tables of `site` without their records' long texts (those are kept apart); None
    when a value has no JSON form (a coordinate or a setting that is NaN or infinite,
    which a number cell or site.yaml may hold): such an archive is not kept, and each
    build loads it from its files."""
    if not all(math.isfinite(x) for x in _floats(site)):
        return None  # JSON would write null, read back as None
    try:
        return _encode(site)
    except msgspec.EncodeError:
        return None


def _floats(site: Site) -> Iterator[float]:
    """Every float the tables hold (`FLOAT_FIELDS`)."""
    yield site.config.sync.timeout
    yield site.config.sync.max_wait
    for event in site.events.values():
        if event.location_lat is not None:
            yield event.location_lat
        if event.location_lon is not None:
            yield event.location_lon


FLOAT_FIELDS = {
    "SyncConfig.timeout",
    "SyncConfig.max_wait",
    "Event.location_lat",
    "Event.location_lon",
}
"""The fields of the tables that hold floats, each checked by `_floats`."""


def _encode(site: Site) -> bytes:
    return msgspec.json.encode(
        _Tables(
            site.config,
            site.stages,
            [_blank_event(e) for e in site.events.values()],
            list(site.categories.values()),
            [_blank_project(p) for p in site.projects.values()],
            list(site.activities.values()),
            list(site.people.values()),
        )
    )


def _blanker(cls: type[R], texts: tuple[str, ...]) -> Callable[[R], R]:
    """A copy of a record without its long texts, made from its other fields in their
    order (5x faster than `dataclasses.replace`); the texts must be its last fields."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    if tuple(names[len(names) - len(texts) :]) != texts:
        raise TypeError(f"the long texts of {cls.__name__} are not its last fields")
    kept = operator.attrgetter(*names[: len(names) - len(texts)])

    def blank(record: R) -> R:
        return cls(*kept(record))

    return blank


_blank_event = _blanker(Event, EVENT_TEXT_FIELDS)
_blank_project = _blanker(Project, PROJECT_TEXT_FIELDS)


def decode(tables: bytes, texts: Iterable[tuple[str, str]]) -> Site:
    """The archive `encode_tables` and `texts_of` stored. Raises ValueError when the
    bytes do not decode to the tables or a text has no record to go to."""
    try:
        found = _DECODER.decode(tables)
    except msgspec.DecodeError as exc:  # ValidationError is one too
        raise ValueError(f"the stored tables do not decode: {exc}") from exc
    events = {e.slug: e for e in found.events}
    projects = {(p.event, p.slug): p for p in found.projects}
    for rel, text in texts:
        slot = text_slot(rel)
        record: Any = None
        if slot is not None:
            kind, key, name = slot
            fields = PROJECT_TEXT_FIELDS if kind == "project" else EVENT_TEXT_FIELDS
            if name in fields:
                record = (projects if kind == "project" else events).get(key)
        if record is None:
            raise ValueError(f"the stored text {rel} has no record")
        setattr(record, name, text)
    return Site(
        found.config,
        found.stages,
        events,
        {(c.event, c.slug): c for c in found.categories},
        projects,
        {a.id: a for a in found.activities},
        {p.username: p for p in found.people},
    )


def texts_of(site: Site) -> Iterator[tuple[str, str]]:
    """Every long text of `site` that is not empty, by the path of its file."""
    for event in site.events.values():
        for name in EVENT_TEXT_FIELDS:
            if text := getattr(event, name):
                yield event_text_path(event.slug, name), text
    for project in site.projects.values():
        for name in PROJECT_TEXT_FIELDS:
            if text := getattr(project, name):
                yield project_text_path(project.event, project.slug, name), text


def changes(
    last: Site | None,
    site: Site,
    *,
    tables_same: bool,
    records: Iterable[tuple[str, Any]] | None = None,
) -> Changes | None:
    """What to record of `site` over `last`, the archive recorded before (None: unknown,
    everything is written). Records shared with `last` are unchanged (a load never changes
    a record it reuses), so only the others' texts are compared. `tables_same`: only
    texts were read again since `last`, those of `records` ("event", slug or "project",
    key) when given. None when the tables cannot be kept (`encode_tables`)."""
    same = tables_same and last is not None
    tables = None if same else encode_tables(site)
    if tables is None and not same:
        return None
    if last is None:
        return Changes(tables, list(texts_of(site)), [], whole=True)
    texts: list[tuple[str, str]] = []
    gone: list[str] = []

    def compare(old: Any, new: Any, rel: str, name: str) -> None:
        before = "" if old is None else getattr(old, name)
        after = "" if new is None else getattr(new, name)
        if before == after:
            return
        if after:
            texts.append((rel, after))
        else:
            gone.append(rel)

    if same and records is not None:
        for kind, key in dict.fromkeys(records):
            if kind == "event":
                for name in EVENT_TEXT_FIELDS:
                    path = event_text_path(key, name)
                    compare(last.events.get(key), site.events.get(key), path, name)
            else:
                event, slug = key
                for name in PROJECT_TEXT_FIELDS:
                    path = project_text_path(event, slug, name)
                    compare(last.projects.get(key), site.projects.get(key), path, name)
        return Changes(tables, texts, gone, whole=False)
    for slug, event in site.events.items():
        before = last.events.get(slug)
        if before is not event:
            for name in EVENT_TEXT_FIELDS:
                compare(before, event, event_text_path(slug, name), name)
    for key, project in site.projects.items():
        was = last.projects.get(key)
        if was is not project:
            for name in PROJECT_TEXT_FIELDS:
                compare(was, project, project_text_path(*key, name), name)
    # Records no longer there: their texts go with them.
    for slug in last.events.keys() - site.events.keys():
        for name in EVENT_TEXT_FIELDS:
            compare(last.events[slug], None, event_text_path(slug, name), name)
    for key in last.projects.keys() - site.projects.keys():
        for name in PROJECT_TEXT_FIELDS:
            compare(last.projects[key], None, project_text_path(*key, name), name)
    return Changes(tables, texts, gone, whole=False)
