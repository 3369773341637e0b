"""Saving an edited archive in proportion to the edit, byte for byte as the store would.

`archive.save` renders and compares every file of the archive and re-reads its settings:
tens of milliseconds for the demo, more with every activity logged. The content writer
knows which records an edit replaced (operations never change a record in place, they
put a new one in its slot), so only those are rendered again: each CSV row through
`save.table_text`, each long text as `save.render_files` lays it out, then committed as
one transaction (`txn`). The result is exactly what `archive.save` would write (the API
tests check that saving again through it changes nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from ..fsutil import holds
from ..model import Event, Project, Site
from . import schema, txn
from .layout import event_text_path, project_text_path
from .rules import EVENT_TEXT_FIELDS, PROJECT_TEXT_FIELDS
from .saving import Saved, table_text

_K = TypeVar("_K")
_V = TypeVar("_V")

TABLES: tuple[tuple[schema.Table, str], ...] = (
    (schema.EVENTS, "events"),
    (schema.CATEGORIES, "categories"),
    (schema.PROJECTS, "projects"),
    (schema.ACTIVITIES, "activities"),
    (schema.PEOPLE, "people"),
)


class TableText:
    """One table's CSV file, kept row by row (encoded) so that a save re-renders only the
    rows of records that changed (at 10,000 projects a whole table is rendered once, not
    per edit) and joins the rest as they are."""

    def __init__(self, table: schema.Table) -> None:
        self.table = table
        self.header = table_text(table, [])
        self.keys: list[Any] = []
        """Record keys in file order (sorted)."""
        self.position: dict[Any, int] = {}
        self.records: list[object] = []
        self.rows: list[bytes] = []
        self.last: Mapping[Any, object] | None = None
        """The records the rows were last rendered from."""

    def data(
        self, records: Mapping[Any, object], since: Mapping[Any, object], changed: list[Any]
    ) -> bytes:
        """The table's file for `records`, which differ from `since` in the keys `changed`
        (added, replaced or removed). When `since` is what the last call rendered, only
        those rows are looked at; otherwise every row is compared."""
        if since is not self.last:
            changed = list(records)
        self.last = records
        added = sorted(key for key in changed if key not in self.position)
        if len(self.keys) + len(added) != len(records) or (
            added and self.keys and added[0] <= self.keys[-1]
        ):
            self._rebuild(records)  # a record was removed, or one sorts between others
        else:
            for key in added:  # new records that sort last (new activities do)
                self.position[key] = len(self.keys)
                self.keys.append(key)
                self.records.append(None)
                self.rows.append(b"")
            for key in changed:
                i = self.position[key]
                record = records[key]
                if self.records[i] is not record:
                    self.records[i] = record
                    self.rows[i] = self._row(record)
        # One join: a file of thousands of rows is copied once, not once per step.
        return b"".join((self.header.encode("utf-8"), *self.rows))

    def _rebuild(self, records: Mapping[Any, object]) -> None:
        known = {id(r): (r, row) for r, row in zip(self.records, self.rows, strict=True)}
        self.keys = sorted(records)
        self.position = {key: i for i, key in enumerate(self.keys)}
        self.records = [records[key] for key in self.keys]
        self.rows = []
        for record in self.records:
            hit = known.get(id(record))
            self.rows.append(hit[1] if hit is not None and hit[0] is record else self._row(record))

    def _row(self, record: object) -> bytes:
        return table_text(self.table, [record])[len(self.header) :].encode("utf-8")


class Edits(dict[_K, _V]):
    """A copy of a table that notes the keys an edit sets or removes, so that saving it
    looks at those records only, not at every record of the table."""

    def __init__(self, base: dict[_K, _V]) -> None:
        super().__init__(base)
        self.base = base
        self.touched: set[_K] = set()

    def __setitem__(self, key: _K, value: _V) -> None:
        self.touched.add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: _K) -> None:
        self.touched.add(key)
        super().__delitem__(key)

    def pop(self, key: _K, *default: Any) -> Any:
        self.touched.add(key)
        return super().pop(key, *default)

    def setdefault(self, key: _K, default: Any = None) -> Any:
        self.touched.add(key)
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def popitem(self) -> tuple[_K, _V]:
        key, value = super().popitem()
        self.touched.add(key)
        return key, value

    def clear(self) -> None:
        self.touched.update(self)
        super().clear()

    def settle(self) -> None:
        """Forget the base and the keys once saved (a chain of copies, each holding the
        one before, would keep every version of the table alive)."""
        self.base = {}
        self.touched = set()


def settle(site: Site) -> None:
    """Let go of what the `Edits` tables of `site` noted, once it is saved or dropped."""
    for table in (site.events, site.categories, site.projects, site.activities, site.people):
        if isinstance(table, Edits):
            table.settle()


def _changed(old: Mapping[_K, object], new: Mapping[_K, object]) -> list[_K]:
    """Keys whose record was added, replaced or removed: of those an `Edits` copy of `old`
    noted, or else found in one pass over each mapping."""
    if isinstance(new, Edits) and new.base is old:
        return [key for key in new.touched if old.get(key) is not new.get(key)]
    keys = [key for key, record in new.items() if old.get(key) is not record]
    if len(old) + sum(1 for key in keys if key not in old) != len(new):
        keys += [key for key in old if key not in new]
    return keys


def _event_files(event: Event | None, slug: str) -> dict[str, str | None]:
    """The text files of an event as `save.render_files` writes them (None: no file)."""
    files: dict[str, str | None] = {}
    for name in EVENT_TEXT_FIELDS:
        text = getattr(event, name) if event else ""
        files[event_text_path(slug, name)] = text + "\n" if text else None
    return files


def _project_files(project: Project | None, key: tuple[str, str]) -> dict[str, str | None]:
    files: dict[str, str | None] = {}
    for name in PROJECT_TEXT_FIELDS:
        text = getattr(project, name) if project else ""
        files[project_text_path(*key, name)] = text + "\n" if text else None
    return files


class DeltaSaver:
    """Writes what differs between the saved and the edited version of an archive."""

    def __init__(self, content: Path) -> None:
        self.content = content
        self.tables = {attr: TableText(table) for table, attr in TABLES}

    def save(self, before: Site, after: Site, read: txn.Read) -> Saved:
        """Write `after`'s changes as one transaction; raise txn.Conflict (writing nothing)
        when another writer committed since `read`, or one of the files changed on disk."""
        if before.config != after.config or before.stages != after.stages:
            raise ValueError("settings are changed with archive.save, not by edits")
        changed = {
            attr: _changed(getattr(before, attr), getattr(after, attr)) for _, attr in TABLES
        }
        files: dict[str, bytes | None] = {}
        for table, attr in TABLES:
            if changed[attr]:
                old, new = getattr(before, attr), getattr(after, attr)
                files[table.path] = self.tables[attr].data(new, old, changed[attr])
        texts: dict[str, str | None] = {}
        for slug in changed["events"]:
            old_files = _event_files(before.events.get(slug), slug)
            for rel, text in _event_files(after.events.get(slug), slug).items():
                if text != old_files[rel]:
                    texts[rel] = text
        for key in changed["projects"]:
            old_files = _project_files(before.projects.get(key), key)
            for rel, text in _project_files(after.projects.get(key), key).items():
                if text != old_files[rel]:
                    texts[rel] = text
        files.update((rel, None if t is None else t.encode("utf-8")) for rel, t in texts.items())
        with txn.exclusive(self.content):
            # Only the files about to be written are stat'ed (cheap at any size); a
            # commit by any other writer shows in the token.
            changes: dict[str, bytes | None] = {}
            for rel, data in sorted(files.items()):
                path = self.content / rel
                if data is None:
                    if path.exists():
                        changes[rel] = None
                elif not holds(path, data):
                    changes[rel] = data
            if not changes:
                return Saved([], read)
            return Saved(sorted(changes), txn.commit_read(self.content, changes, read))
