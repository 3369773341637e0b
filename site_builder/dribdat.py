"""Dribdat's export vocabulary and the export half of the mapping (records -> Dribdat rows).

`events_payload`, `projects_payload`, `projects_csv` and `event_package` give the static
site Dribdat-shaped `/api/...` mirrors and a data package that imports back exactly
(`importers/dribdat_rows.py` is the other half).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from .archive.rules import EVENT_TEXT_FIELDS, event_zone
from .csvcells import neutralise
from .model import Activity, Category, Event, Person, Project, Site

DATE_FORMAT = "%Y-%m-%dT%H:%M"
"""Dribdat's date format: local wall-clock time to the minute, no zone."""

EXTRAS = ("slug", "legacy_id", "legacy_url", "legacy_aliases", "timezone", "key")
"""Keys Jamdat adds to its own exports so that importing them back restores every record."""

EVENT_STRINGS = (
    "name", "summary", "hostname", "location", "hashtags", "webpage_url", "community_url",
    "logo_url", "gallery_url", "certificate_path", *EVENT_TEXT_FIELDS,
)  # fmt: skip
PROJECT_STRINGS = (
    "name", "summary", "hashtag", "ident", "team", "maintainer", "webpage_url", "source_url",
    "autotext_url", "download_url", "contact_url", "image_url", "logo_color", "logo_icon",
)  # fmt: skip
PROJECT_FLAGS = ("is_challenge", "is_webembed", "is_hidden")
EVENT_FLAGS = ("lock_starting", "lock_editing")


# ---------------------------------------------------------------- export: records -> rows


@dataclass(slots=True)
class EventRecords:
    """One event's records (hidden projects included), gathered in one pass over the site
    so that exporting every event costs O(records), not O(events x records)."""

    event: Event
    projects: list[Project] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)


def group_records(site: Site) -> dict[str, EventRecords]:
    """Every event's records, by event slug."""
    groups = {slug: EventRecords(event) for slug, event in site.events.items()}
    for p in site.projects.values():
        if p.event in groups:
            groups[p.event].projects.append(p)
    for c in site.categories.values():
        if c.event in groups:
            groups[c.event].categories.append(c)
    for a in site.activities.values():
        if a.event in groups:
            groups[a.event].activities.append(a)
    return groups


def user_row(person: Person) -> dict[str, str]:
    """A person's public profile as a Dribdat `users` row (the avatar only when set, so
    archives without avatars export as before)."""
    row = {
        "username": person.username,
        "fullname": person.fullname,
        "webpage_url": person.webpage_url,
    }
    if person.avatar_url:
        row["avatar_url"] = person.avatar_url
    return row


def _id(legacy_id: int | None, *key: str) -> int:
    """Dribdat needs numeric ids: the legacy one, else a stable number from the key."""
    if legacy_id is not None:
        return legacy_id
    digest = hashlib.blake2b("/".join(key).encode("utf-8"), digest_size=4).digest()
    return 1_000_000_000 + int.from_bytes(digest, "big") % 1_000_000_000


def _date(value: datetime | None) -> str:
    return value.strftime(DATE_FORMAT) if value is not None else ""


def _utc_date(value: datetime | None) -> str:
    return _date(value.astimezone(UTC) if value is not None and value.tzinfo else value)


def _as_utc(value: datetime) -> datetime:
    """Naive times are UTC (how activities are stored), so they compare with aware ones."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _zone(site: Site, event: Event) -> ZoneInfo:
    return event_zone(event.timezone, site.config.timezone)


def _event_row(site: Site, event: Event, site_url: str, full: bool) -> dict[str, Any]:
    # Dribdat's `has_started` and `has_finished` depend on the moment they are asked; a
    # static mirror is built once, so it leaves them out (clients compare the dates).
    row: dict[str, Any] = {
        "id": _id(event.legacy_id, event.slug),
        "name": event.name,
        "summary": event.summary,
        "hostname": event.hostname,
        "location": event.location,
        "location_lat": event.location_lat,
        "location_lon": event.location_lon,
        "hashtags": event.hashtags,
        "starts_at": _date(event.starts_at),
        "ends_at": _date(event.ends_at),
        "community_url": event.community_url,
        "gallery_url": event.gallery_url,
        "webpage_url": event.webpage_url,
        "logo_url": event.logo_url,
        "certificate_path": event.certificate_path,
    }
    if full:
        for key in (*EVENT_TEXT_FIELDS, *EVENT_FLAGS):
            row[key] = getattr(event, key)
    row.update(
        url=f"{site_url}{event.slug}/",
        slug=event.slug,
        legacy_id=event.legacy_id,
        legacy_url=event.legacy_url,
        legacy_aliases=event.legacy_aliases,
        timezone=event.timezone,
    )
    return row


def events_payload(site: Site, site_url: str) -> list[dict[str, Any]]:
    """Rows like Dribdat's /api/events.json, newest event first."""
    events = sorted(site.events.values(), key=lambda e: (e.starts_at, e.slug), reverse=True)
    return [_event_row(site, e, site_url, full=False) for e in events]


def _score(project: Project, activities: list[Activity]) -> int:
    """Dribdat's completeness score, recomputed from what the archive holds."""
    if project.is_challenge or project.stage <= 0:
        return 0
    score = project.stage + len(activities) + sum(a.name == "boost" for a in activities)
    for value in (project.summary, project.image_url, project.source_url, project.webpage_url,
                  project.logo_color, project.logo_icon):  # fmt: skip
        score += len(value) > 3
    for value in (project.pitch, project.readme):
        score += (len(value) > 3) + 3 * (len(value) > 100) + 5 * (len(value) > 500)
    return min(score, 100)


def _excerpt(project: Project) -> str:
    source = project.pitch if len(project.pitch) > 10 else project.readme
    if len(source) <= 10:
        return ""
    return source[:500] + ("..." if len(source) > 500 else "")


def _visible(records: EventRecords, hidden: bool = False) -> list[Project]:
    """An event's projects as Dribdat lists them: hidden ones left out, in id order."""
    projects = [p for p in records.projects if hidden or not p.is_hidden]
    return sorted(projects, key=lambda p: (p.legacy_id is None, p.legacy_id or 0, p.slug))


def projects_payload(
    site: Site, records: EventRecords, site_url: str, complete: bool = False
) -> list[dict[str, Any]]:
    """Rows like Dribdat's /api/event/<id>/projects.json?moar=1 (with long texts).

    `complete` adds hidden projects and the Jamdat-only fields, for exports that must
    import back into the same archive."""
    ev = records.event
    event = ev.slug
    by_project: dict[str, list[Activity]] = {}
    for activity in records.activities:
        by_project.setdefault(activity.project, []).append(activity)
    rows = []
    for p in _visible(records, hidden=complete):
        category = site.categories.get((event, p.category)) if p.category else None
        rows.append(
            {
                "id": _id(p.legacy_id, event, p.slug),
                "url": f"{site_url}{event}/{p.slug}/",
                "name": p.name,
                "score": _score(p, by_project.get(p.slug, [])),
                "phase": site.stages.label(p.stage, event),
                "team": p.team,
                "team_count": len(p.team_members),
                "is_challenge": p.is_challenge,
                "is_webembed": p.is_webembed,
                "progress": p.progress,
                "ident": p.ident,
                "summary": p.summary,
                "hashtag": p.hashtag,
                "image_url": p.image_url,
                "source_url": p.source_url,
                "webpage_url": p.webpage_url,
                "autotext_url": p.autotext_url,
                "download_url": p.download_url,
                "contact_url": p.contact_url,
                "logo_color": p.logo_color,
                "logo_icon": p.logo_icon,
                "excerpt": _excerpt(p),
                "created_at": _utc_date(p.created_at),
                "updated_at": _utc_date(p.updated_at),
                "maintainer": p.maintainer,
                "event_url": f"{site_url}{event}/",
                "event_name": ev.name,
                "category_id": _id(category.legacy_id, event, "c", category.slug)
                if category
                else "",
                "category_name": category.name if category else "",
                "longtext": p.pitch,
                "autotext": p.readme,
                "slug": p.slug,
                "legacy_id": p.legacy_id,
                "legacy_url": p.legacy_url,
                "legacy_aliases": p.legacy_aliases,
            }
        )
        if complete:
            rows[-1].update(is_hidden=p.is_hidden, pitch_order=p.pitch_order)
    return rows


def projects_csv(rows: list[dict[str, Any]]) -> str:
    """Dribdat-style CSV of payload rows: header of all keys, every cell quoted, CRLF;
    text that a spreadsheet would run as a formula is neutralised (`csvcells`)."""
    if not rows:
        return ""
    header = list(dict.fromkeys(k for row in rows for k in row))
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        cells = []
        for key in header:
            value = row.get(key)
            if value is None:
                cells.append("")
            elif isinstance(value, dict | list):
                cells.append(json.dumps(value, ensure_ascii=False))
            elif isinstance(value, str):
                cells.append(neutralise(value))
            else:
                cells.append(str(value))
        writer.writerow(cells)
    return out.getvalue()


class ActivityContext(NamedTuple):
    """What an activity's row shows besides the activity: its project and the event's zone."""

    project_id: int
    project_name: str
    project_phase: str
    zone: ZoneInfo


ActivityRow = Callable[[Activity, ActivityContext], Any]


def activity_row(a: Activity, context: ActivityContext) -> dict[str, Any]:
    """An activity as a row of a data package's `activities` resource."""
    return {
        "id": _id(a.legacy_id, a.event, "a", a.id),
        "time": int(a.date.timestamp()),
        "date": a.date.astimezone(context.zone).strftime(DATE_FORMAT),
        "name": a.name,
        "action": a.action,
        "content": a.content,
        "ref_url": a.ref_url,
        "user_name": a.user,
        "project_id": context.project_id,
        "project_name": context.project_name,
        "project_phase": context.project_phase,
        "key": a.id,
        "legacy_id": a.legacy_id,
    }


def event_package(
    site: Site,
    records: EventRecords,
    site_url: str,
    complete: bool = False,
    row: ActivityRow = activity_row,
    projects: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A Dribdat-style data package (0.2.0, inline data) of one event, full content;
    `complete` as in `projects_payload`. `row` makes each activity's row (the site's
    mirror keeps them encoded from one build to the next); `projects` are the event's
    rows of `projects_payload` when they were made already."""
    ev = records.event
    event = ev.slug
    if projects is None:
        projects = projects_payload(site, records, site_url, complete)
    zone = _zone(site, ev)
    ids = {row["slug"]: row["id"] for row in projects}
    contexts = {
        p.slug: ActivityContext(ids[p.slug], p.name, site.stages.label(p.stage, event), zone)
        for p in records.projects
        if p.slug in ids
    }
    categories = [
        {
            "id": _id(c.legacy_id, event, "c", c.slug),
            "name": c.name,
            "description": c.description,
            "logo_color": c.logo_color,
            "logo_icon": c.logo_icon,
            "event_id": _id(ev.legacy_id, ev.slug),
            "event_name": ev.name,
            "slug": c.slug,
            "legacy_id": c.legacy_id,
        }
        for c in sorted(records.categories, key=lambda c: c.slug)
    ]
    logged = [
        a
        for a in sorted(records.activities, key=lambda a: a.id, reverse=True)
        if a.project in contexts
    ]
    activities = [row(a, contexts[a.project]) for a in logged]
    names: set[str] = set()
    for p in records.projects:
        names.update(p.team_members)
        names.add(p.maintainer)
    names.update(a.user for a in logged)
    users = [user_row(u) for name, u in sorted(site.people.items()) if name in names]
    stamps = [p.updated_at for p in records.projects if p.updated_at]
    stamps += [a.date for a in records.activities]
    license_name = site.config.license
    package: dict[str, Any] = {
        "name": f"event-{ev.legacy_id if ev.legacy_id is not None else ev.slug}",
        "title": ev.name,
        "description": ev.summary or ev.description,
        "homepage": ev.webpage_url,
        "keywords": ["dribdat", "hackathon", "co-creation"],
        "sources": [{"title": "dribdat", "path": site_url}],
        "licenses": [{"name": license_name, "path": site.config.license_url}]
        if license_name
        else [],
        "contributors": [c.data(email=complete) for c in site.config.contributors],
        "version": "0.2.0",
        "resources": [
            {"name": "events", "data": [_event_row(site, ev, site_url, full=True)]},
            {"name": "projects", "data": projects},
            {"name": "categories", "data": categories},
            {"name": "activities", "data": activities},
            {"name": "users", "data": users},
        ],
    }
    if stamps:
        package["created"] = _utc_date(max(stamps, key=_as_utc))
    return package
