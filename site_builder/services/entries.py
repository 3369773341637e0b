"""Canonical form and strong ETags of entries, and `If-Match` preconditions.

An entry's ETag is a hash of exactly what the store writes for it (its CSV row, cell by
cell as `format_cell` renders it, and its Markdown texts), so it changes if and only if
the entry's files would change, whoever changed them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from ..archive import format_cell, parse_cell, schema
from ..archive.rules import EVENT_TEXT_FIELDS
from ..errors import Problem
from ..model import Activity, Category, Event, Project
from .errors import Invalid, Stale

R = TypeVar("R")


def etag(table: schema.Table, record: object, texts: tuple[str, ...] = ()) -> str:
    """A strong ETag (quoted) of a record's canonical serialized form."""
    h = hashlib.blake2b(digest_size=16)
    for name in table.columns:
        h.update(format_cell(getattr(record, name)).encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    for text in texts:
        h.update(b"\x1e")
        h.update(text.encode("utf-8", "surrogatepass"))
    return f'"{h.hexdigest()}"'


def event_etag(event: Event) -> str:
    return etag(
        schema.EVENTS,
        event,
        tuple(getattr(event, name) for name in EVENT_TEXT_FIELDS),
    )


def category_etag(category: Category) -> str:
    return etag(schema.CATEGORIES, category)


def project_etag(project: Project) -> str:
    return etag(schema.PROJECTS, project, (project.pitch, project.readme))


def activity_etag(activity: Activity) -> str:
    return etag(schema.ACTIVITIES, activity)


def canonical(table: schema.Table, record: R, texts: tuple[str, ...] = ()) -> R:
    """`record` as it will read back from disk: newlines as LF, datetimes to the second,
    every cell through the store's writer and reader. Raises Invalid naming each field
    the store could not hold."""
    changes: dict[str, Any] = {}
    problems: list[Problem] = []
    for field in table.fields:
        value = getattr(record, field.name)
        if isinstance(value, str):
            value = normalize_text(value)
            if "\x00" in value:
                problems.append(
                    Problem(table.path, "must not contain NUL characters", None, field.name)
                )
                continue
        try:
            changes[field.name] = parse_cell(field, format_cell(value))
        except ValueError as exc:
            problems.append(Problem(table.path, str(exc), None, field.name))
    for name in texts:
        # The store strips a byte-order mark when it reads a text file back.
        text = normalize_text(getattr(record, name)).removeprefix("\ufeff")
        if "\x00" in text:
            problems.append(Problem(table.path, "must not contain NUL characters", None, name))
        changes[name] = text
    if problems:
        raise Invalid(problems)
    return replace(record, **changes)  # type: ignore[type-var]


def normalize_text(text: str) -> str:
    """Line endings as the store reads them back (LF only)."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


@dataclass(frozen=True, slots=True)
class Precondition:
    """An `If-Match` header: a set of strong ETags, or `*` (any current version)."""

    tags: frozenset[str] = frozenset()
    any: bool = False

    @classmethod
    def parse(cls, header: str) -> Precondition:
        parts = [part.strip() for part in header.split(",") if part.strip()]
        if "*" in parts:
            return cls(any=True)
        # Weak tags never match under If-Match's strong comparison.
        return cls(frozenset(p for p in parts if p.startswith('"') and p.endswith('"')))

    def check(self, current: str, what: str) -> None:
        """Raise Stale unless the entry is still the version the editor read."""
        if not self.any and current not in self.tags:
            raise Stale(
                f"{what} changed since you read it (its ETag is now {current}): "
                "read it again, re-apply your change and send the new ETag in If-Match"
            )
