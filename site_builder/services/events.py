"""Edits of events and their categories: organisers only."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..archive import schema
from ..archive.rules import EVENT_TEXT_FIELDS, pattern_problem, slug_problem, zone_problem
from ..errors import Problem
from ..model import Category, Event, Site
from .common import (
    Changes,
    Outcome,
    audit,
    changed_fields,
    check_fields,
    check_new_entry,
    require_organiser,
)
from .editor import Editor
from .entries import Precondition, canonical, category_etag, event_etag
from .errors import Conflict, Invalid, NotFound

EVENT_FIELDS = (
    "name",
    "summary",
    "starts_at",
    "ends_at",
    "timezone",
    "location",
    "location_lat",
    "location_lon",
    "hostname",
    "hashtags",
    "webpage_url",
    "community_url",
    "logo_url",
    "gallery_url",
    "certificate_path",
    "lock_starting",
    "lock_editing",
    "description",
    "instruction",
    "boilerplate",
    "aftersubmit",
)
"""What the API may change on an event (not its slug, legacy ids or raw HTML/CSS embeds)."""

CATEGORY_FIELDS = ("name", "description", "logo_color", "logo_icon")


def _event(site: Site, slug: str) -> Event:
    event = site.events.get(slug)
    if event is None:
        raise NotFound(f"event {slug!r} does not exist")
    return event


def _checked_event(event: Event) -> Event:
    event = canonical(schema.EVENTS, event, EVENT_TEXT_FIELDS)
    problems: list[Problem] = []
    zone_error = event.timezone and zone_problem(event.timezone)
    if zone_error:
        problems.append(
            Problem(
                schema.EVENTS.path,
                f"{zone_error}, or leave it empty for the site's default",
                None,
                "timezone",
            )
        )
    starts, ends = event.starts_at, event.ends_at
    if (starts.tzinfo is None) == (ends.tzinfo is None) and ends < starts:
        problems.append(
            Problem(
                schema.EVENTS.path,
                f"must not be before starts_at: the event would end ({ends:%Y-%m-%d %H:%M}) "
                "before it starts",
                None,
                "ends_at",
            )
        )
    if problems:
        raise Invalid(problems)
    return event


def create_event(site: Site, editor: Editor, event: Event, now: datetime) -> Outcome:
    require_organiser(editor, "create events")
    check_new_entry(schema.EVENTS.path, slug_problem(event.slug, event=True), event.name)
    if event.slug in site.events:
        raise Conflict(f"event {event.slug!r} already exists ({schema.EVENTS.path})")
    event = _checked_event(event)
    site.events[event.slug] = event
    return Outcome(
        event, event_etag(event), audit(editor, now, "create", f"events/{event.slug}"), True
    )


def update_event(
    site: Site, editor: Editor, slug: str, pre: Precondition, changes: Changes, now: datetime
) -> Outcome:
    require_organiser(editor, "edit events")
    current = _event(site, slug)
    pre.check(event_etag(current), f"event {slug!r}")
    check_fields(changes, EVENT_FIELDS, schema.EVENTS.path, editor, ())
    new = _checked_event(replace(current, **changes))
    fields = changed_fields(current, new, EVENT_FIELDS)
    if not fields:
        return Outcome(current, event_etag(current), None)
    site.events[slug] = new
    return Outcome(new, event_etag(new), audit(editor, now, "update", f"events/{slug}", fields))


def delete_event(
    site: Site, editor: Editor, slug: str, pre: Precondition, now: datetime
) -> Outcome:
    require_organiser(editor, "delete events")
    current = _event(site, slug)
    pre.check(event_etag(current), f"event {slug!r}")
    projects = sum(1 for _ in site.projects_of(slug))
    categories = sum(1 for _ in site.categories_of(slug))
    if projects or categories:
        raise Conflict(
            f"event {slug!r} still has {projects} project(s) and {categories} category(ies): "
            "delete those first"
        )
    del site.events[slug]
    for key in [k for k, a in site.activities.items() if a.event == slug]:
        del site.activities[key]  # its announcements
    return Outcome(None, None, audit(editor, now, "delete", f"events/{slug}"))


def _category(site: Site, event: str, slug: str) -> Category:
    _event(site, event)
    category = site.categories.get((event, slug))
    if category is None:
        raise NotFound(f"category {slug!r} does not exist in event {event!r}")
    return category


def create_category(site: Site, editor: Editor, category: Category, now: datetime) -> Outcome:
    require_organiser(editor, "create categories")
    check_new_entry(schema.CATEGORIES.path, pattern_problem(category.slug), category.name)
    _event(site, category.event)
    if (category.event, category.slug) in site.categories:
        raise Conflict(f"category {category.slug!r} already exists in event {category.event!r}")
    category = canonical(schema.CATEGORIES, category)
    site.categories[(category.event, category.slug)] = category
    entry = f"categories/{category.event}/{category.slug}"
    return Outcome(category, category_etag(category), audit(editor, now, "create", entry), True)


def update_category(
    site: Site,
    editor: Editor,
    event: str,
    slug: str,
    pre: Precondition,
    changes: Changes,
    now: datetime,
) -> Outcome:
    require_organiser(editor, "edit categories")
    current = _category(site, event, slug)
    pre.check(category_etag(current), f"category {event}/{slug}")
    check_fields(changes, CATEGORY_FIELDS, schema.CATEGORIES.path, editor, ())
    new = canonical(schema.CATEGORIES, replace(current, **changes))
    fields = changed_fields(current, new, CATEGORY_FIELDS)
    if not fields:
        return Outcome(current, category_etag(current), None)
    site.categories[(event, slug)] = new
    entry = f"categories/{event}/{slug}"
    return Outcome(new, category_etag(new), audit(editor, now, "update", entry, fields))


def delete_category(
    site: Site, editor: Editor, event: str, slug: str, pre: Precondition, now: datetime
) -> Outcome:
    require_organiser(editor, "delete categories")
    current = _category(site, event, slug)
    pre.check(category_etag(current), f"category {event}/{slug}")
    users = [p.slug for p in site.projects_of(event) if p.category == slug]
    if users:
        raise Conflict(
            f"category {event}/{slug} is used by {len(users)} project(s) "
            f"({', '.join(sorted(users)[:5])}): move them to another category first"
        )
    del site.categories[(current.event, current.slug)]
    return Outcome(None, None, audit(editor, now, "delete", f"categories/{event}/{slug}"))
