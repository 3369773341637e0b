"""Fields and resources of Dribdat exports that Jamdat has no column for, kept anyway.

A newer Dribdat may export fields this version does not know. They are not dropped: each
event's go to `extras/<event>.json` (by resource, then record key), and the exports put
them back on their rows, so moving an archive through Jamdat loses nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..archive import contentfs

FOLDER = "extras"

KEY_FIELDS = {"events": "slug", "projects": "slug", "categories": "slug", "activities": "key"}
"""The field of an exported row that holds the record's key in the archive. People are not
here: their unknown fields may be private (e-mail, password hashes) and are never kept."""

Table = dict[str, dict[str, Any]]
"""Record key -> {field: value}."""


@dataclass(slots=True)
class Kept:
    """What one import found that Jamdat has no place for, by event slug."""

    fields: dict[str, dict[str, Table]] = field(default_factory=dict)
    """event -> resource -> record key -> {field: value}"""
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    """event -> resource name -> its rows, as exported"""

    def add(self, event: str, resource: str, key: str, values: dict[str, Any]) -> None:
        if values:
            table = self.fields.setdefault(event, {}).setdefault(resource, {})
            table.setdefault(key, {}).update(values)

    def add_resource(self, event: str, name: str, data: Any) -> None:
        self.resources.setdefault(event, {})[name] = data

    def names(self, event: str) -> list[str]:
        """`resource.field` and `resource name` entries kept for an event, for the summary."""
        out = {
            f"{resource}.{name}"
            for resource, table in self.fields.get(event, {}).items()
            for values in table.values()
            for name in values
        }
        out |= {f"resource {name!r}" for name in self.resources.get(event, {})}
        return sorted(out)


def path_of(event: str) -> str:
    return f"{FOLDER}/{event}.json"


def load_extras(content: Path, event: str) -> dict[str, Any]:
    """The kept extras of one event (empty when there are none)."""
    raw = contentfs.read_optional(content, path_of(event))
    if raw is None:
        return {}
    data = json.loads(raw.decode("utf-8"))
    return data if isinstance(data, dict) else {}


def kept_files(content: Path, kept: Kept) -> dict[str, str]:
    """What an import kept, merged into the `extras/<event>.json` files it belongs in (by
    path relative to `content`), for the store to save with the tables: nothing kept
    before is lost."""
    files: dict[str, str] = {}
    for event in sorted(set(kept.fields) | set(kept.resources)):
        data = load_extras(content, event)
        for resource, table in kept.fields.get(event, {}).items():
            target = data.setdefault(resource, {})
            for key, values in table.items():
                target.setdefault(key, {}).update(values)
        if kept.resources.get(event):
            data.setdefault("resources", {}).update(kept.resources[event])
        files[path_of(event)] = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
        files[path_of(event)] += "\n"
    return files


def merge_into_rows(package: dict[str, Any], extras: dict[str, Any]) -> None:
    """Put kept fields back on the rows of an exported package, and kept resources after
    its own; a field the export already has wins."""
    if not extras:
        return
    for resource in package["resources"]:
        table = extras.get(resource["name"])
        key_field = KEY_FIELDS.get(resource["name"])
        if not table or key_field is None:
            continue
        for row in resource["data"]:
            for name, value in table.get(str(row.get(key_field)), {}).items():
                row.setdefault(name, value)
    for name, data in sorted((extras.get("resources") or {}).items()):
        package["resources"].append({"name": name, "data": data})
