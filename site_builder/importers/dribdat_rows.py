"""Rows of Dribdat resources -> values of Jamdat records (the import half of the mapping).

Each `parse_*` returns values only for the keys a row has, so an older export never blanks
a field it does not know. Wrong shapes raise `RowError` naming the field.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from ..dribdat import EVENT_FLAGS, EVENT_STRINGS, EXTRAS, PROJECT_FLAGS, PROJECT_STRINGS


def _names(*groups: str | tuple[str, ...]) -> frozenset[str]:
    out: set[str] = set()
    for group in groups:
        out.update(group.split() if isinstance(group, str) else group)
    return frozenset(out)


KNOWN: dict[str, frozenset[str]] = {
    "events": _names(
        "id starts_at ends_at location_lat location_lon", EVENT_STRINGS, EVENT_FLAGS, EXTRAS
    ),
    "projects": _names(
        "id url progress created_at updated_at longtext autotext category_id category_name",
        "event_url pitch_order",
        PROJECT_STRINGS,
        PROJECT_FLAGS,
        EXTRAS,
    ),
    "categories": _names("id name description logo_color logo_icon event_id", EXTRAS),
    "users": _names("username fullname webpage_url name url avatar_url"),
    "activities": _names("id time date name action content ref_url user_name project_id", EXTRAS),
}
"""Fields each resource maps onto the archive."""

COMPUTED: dict[str, frozenset[str]] = {
    "events": _names("has_started has_finished url"),
    "projects": _names("stats score excerpt phase team_count event_name event_id"),
    "categories": _names("event_name event_url project_count"),
    "users": _names("id roles"),
    "activities": _names(
        "timesince project_name project_phase project_score project_progress user_id"
    ),
}
"""Fields Dribdat computes (or internal ids): read for matching at most, never stored."""


class RowError(ValueError):
    """A value of a Dribdat row has the wrong shape; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def unknown_fields(resource: str, row: dict[str, Any]) -> list[str]:
    """Fields of `row` that Jamdat neither maps nor knows Dribdat computes."""
    return [k for k in row if k not in KNOWN[resource] and k not in COMPUTED[resource]]


def text(value: str) -> str:
    """CRLF and lone CR become LF; nothing else changes."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- cell readers


def _str(row: dict[str, Any], key: str) -> str:
    value = row[key]
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RowError(key, f"expected text, got {type(value).__name__}")
    return text(str(value))


def _int(row: dict[str, Any], key: str) -> int | None:
    value = row[key]
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise RowError(key, f"expected a whole number, got {value!r}")


def _float(row: dict[str, Any], key: str) -> float | None:
    value = row[key]
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise RowError(key, f"expected a number, got {value!r}")


def _bool(row: dict[str, Any], key: str) -> bool | None:
    value = row[key]
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise RowError(key, f"expected true or false, got {value!r}")


def _datetime(row: dict[str, Any], key: str) -> datetime | None:
    """Dribdat's `YYYY-MM-DDTHH:MM` (or ISO / HTTP dates) as given, zone kept if any."""
    value = row[key]
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RowError(key, f"expected a date like 2024-03-24T09:00, got {value!r}")
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise RowError(key, f"expected a date like 2024-03-24T09:00, got {value!r}") from None


def _local(row: dict[str, Any], key: str) -> datetime:
    value = _datetime(row, key) if key in row else None
    if value is None:
        raise RowError(key, "is required")
    return value.replace(tzinfo=None)


def _utc(row: dict[str, Any], key: str) -> datetime | None:
    value = _datetime(row, key)
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _legacy(row: dict[str, Any]) -> int | None:
    """Jamdat's own `legacy_id` extra wins over Dribdat's `id`."""
    return _int(row, "legacy_id") if "legacy_id" in row else _int(row, "id")


def _extra(row: dict[str, Any], key: str) -> str | None:
    return _str(row, key) or None if key in row else None


# ---------------------------------------------------------------- import: rows -> values


@dataclass(slots=True)
class Row:
    """One parsed row: the record's values plus what the importer matches on."""

    id: int | None
    values: dict[str, Any]
    slug: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def parse_event(row: dict[str, Any]) -> Row:
    values: dict[str, Any] = {k: _str(row, k) for k in EVENT_STRINGS if k in row}
    if not values.get("name"):
        raise RowError("name", "is required")
    values["starts_at"] = _local(row, "starts_at")
    values["ends_at"] = _local(row, "ends_at")
    for key in ("location_lat", "location_lon"):
        if key in row:
            values[key] = _float(row, key)
    if values.get("location_lat") == 0 and values.get("location_lon") == 0:
        values["location_lat"] = values["location_lon"] = None  # Dribdat's "no coordinates"
    for key in EVENT_FLAGS:
        if key in row:
            values[key] = _bool(row, key)
    values["legacy_id"] = _legacy(row)
    extra = {"timezone": _extra(row, "timezone")}
    if "legacy_url" in row:
        values["legacy_url"] = _str(row, "legacy_url")
    if "legacy_aliases" in row:
        values["legacy_aliases"] = _str(row, "legacy_aliases")
    return Row(_int(row, "id") if "id" in row else None, values, _extra(row, "slug"), extra)


def parse_project(row: dict[str, Any]) -> Row:
    values: dict[str, Any] = {k: _str(row, k) for k in PROJECT_STRINGS if k in row}
    if not values.get("name"):
        raise RowError("name", "is required")
    if "team" in row and isinstance(row["team"], list):
        values["team"] = ", ".join(text(str(m)) for m in row["team"])
    for key in PROJECT_FLAGS:
        if key in row:
            values[key] = _bool(row, key)
    for key in ("created_at", "updated_at"):
        if key in row:
            values[key] = _utc(row, key)
    for key in ("progress", "pitch_order"):
        if key in row:
            values[key] = _int(row, key)
    if "longtext" in row:
        values["pitch"] = _str(row, "longtext")
    if "autotext" in row:
        values["readme"] = _str(row, "autotext")
    values["legacy_id"] = _legacy(row)
    if "legacy_url" in row or "url" in row:
        values["legacy_url"] = _str(row, "legacy_url" if "legacy_url" in row else "url")
    if "legacy_aliases" in row:
        values["legacy_aliases"] = _str(row, "legacy_aliases")
    extra: dict[str, Any] = {
        "category_given": "category_id" in row or "category_name" in row,
        "category_id": _int(row, "category_id") if "category_id" in row else None,
        "category_name": _str(row, "category_name") if "category_name" in row else "",
        "phase": _str(row, "phase") if "phase" in row else "",
        "event_url": _str(row, "event_url") if "event_url" in row else "",
        "excerpt": "" if "longtext" in row else _str(row, "excerpt") if "excerpt" in row else "",
    }
    return Row(_int(row, "id") if "id" in row else None, values, _extra(row, "slug"), extra)


def parse_category(row: dict[str, Any]) -> Row:
    values: dict[str, Any] = {
        k: _str(row, k) for k in ("name", "description", "logo_color", "logo_icon") if k in row
    }
    if not values.get("name"):
        raise RowError("name", "is required")
    values["legacy_id"] = _legacy(row)
    return Row(_int(row, "id") if "id" in row else None, values, _extra(row, "slug"))


def parse_person(row: dict[str, Any]) -> Row | None:
    """Public profile fields only: username, fullname, webpage_url (0.1.0: name, url),
    avatar_url."""
    name_key = "username" if "username" in row else "name"
    username = _str(row, name_key) if name_key in row else ""
    if not username:
        return None
    values = {"username": username}
    if "fullname" in row:
        values["fullname"] = _str(row, "fullname")
    url_key = "webpage_url" if "webpage_url" in row else "url"
    if url_key in row:
        values["webpage_url"] = _str(row, url_key)
    if "avatar_url" in row:
        values["avatar_url"] = _str(row, "avatar_url")
    return Row(None, values)


def parse_activity(row: dict[str, Any]) -> Row:
    if "time" in row and row["time"] not in (None, ""):
        stamp = _int(row, "time")
        assert stamp is not None
        date = datetime.fromtimestamp(stamp, UTC)
    elif "date" in row and (parsed := _utc(row, "date")) is not None:
        date = parsed
    else:
        raise RowError("time", "an activity needs `time` (epoch seconds) or `date`")
    project_id = _int(row, "project_id") if "project_id" in row else None
    if project_id is None:
        raise RowError("project_id", "is required")
    values: dict[str, Any] = {"date": date, "legacy_id": _legacy(row)}
    for key in ("name", "action", "content", "ref_url"):
        values[key] = _str(row, key) if key in row else ""
    values["user"] = _str(row, "user_name") if "user_name" in row else ""
    extra = {
        "project_id": project_id,
        "project_name": _str(row, "project_name") if "project_name" in row else None,
        "key": _extra(row, "key"),
    }
    return Row(_int(row, "id") if "id" in row else None, values, None, extra)


def activity_id(date: datetime, event: str, legacy_id: int | None, name: str, content: str) -> str:
    """Time-ordered, stable key of an activity."""
    digest = hashlib.blake2b(digest_size=4)
    for part in (event, "" if legacy_id is None else str(legacy_id), name, content):
        digest.update(part.encode("utf-8") + b"\0")
    return f"{date.astimezone(UTC):%Y%m%dT%H%M%S}-{digest.hexdigest()}"
