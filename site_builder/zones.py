"""The time zone rule, in one place: a zone is an IANA name. An archive's zones are checked
where it is loaded (site.yaml, data/events.csv) and a typed one where it is typed; past
that, code resolves them without checking again."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_problem(name: str) -> str | None:
    """Why `name` is not a time zone, or None when it is one."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder of zones
        return f"unknown time zone {name!r}: use an IANA name like 'Europe/Zurich'"
    return None


def event_zone(timezone: str, default: str) -> ZoneInfo:
    """An event's zone: its own `timezone`, or else the site's `default` (both checked
    when the archive was loaded)."""
    return ZoneInfo(timezone or default)
