"""One CSV cell of the archive's tables: parsed into a typed value, written back canonically."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from . import schema
from .rules import pattern_problem

_INT_RE = re.compile(r"^-?\d+$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?$")


# ---------------------------------------------------------------- cell conversion


def parse_cell(field: schema.Field, text: str) -> Any:
    """Turn one CSV cell into a Python value; raises ValueError with a readable reason."""
    if text == "":
        if field.required:
            raise ValueError("is required but empty")
        return "" if field.type == "string" else None
    if field.type == "string":
        if field.slug and (problem := pattern_problem(text)):
            raise ValueError(problem)
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
