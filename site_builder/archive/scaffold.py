"""`jamdat init` and `jamdat new`: start an archive, add events and projects.

Everything is written through the store, so a new archive or entry is in the same
deterministic format as an imported one and validates as it is.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import yaml

from ..config import SiteConfig, Stages
from ..errors import JamdatError
from ..model import Event, Project, Site
from . import schema
from .load import STATE_DIR, checkout_or_new, load, new_site
from .rules import SITE_PAGES as RESERVED
from .rules import slugify, zone_problem
from .save import edit, save

_SLUG = re.compile(schema.SLUG_PATTERN)

START_TIME = time(9, 0)
"""When an event given only a date starts."""
END_TIME = time(17, 0)
"""When an event ends by default: this time on the day after it starts."""

EVENT_TEXT = """\
Describe {name} here: what it is about, who it is for, the schedule and where to meet.

This text is `events/{slug}.md` in the archive; Markdown works, and so do links and images.
"""

PROJECT_TEXT = """\
## {name}

What does the project do, and for whom? This is the team's pitch: `projects/{event}/{slug}.md`.

---

## How it works

Each `---` line starts a new slide in the event's pitch deck.

---

## What next

Links, the team and the stage are set in `data/projects.csv`.
"""


@dataclass(frozen=True, slots=True)
class Created:
    """What a command added: the key shown to the user and the files written."""

    key: str
    files: list[str]


def parse_when(text: str, default_time: time = START_TIME) -> datetime:
    """`2025-05-17` (at `default_time`), `2025-05-17T09:30` or `2025-05-17 09:30:00`."""
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), default_time)
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        raise JamdatError(
            f"{text!r} is not a date like 2025-05-17 or a time like 2025-05-17T09:30"
        ) from None
    if parsed.tzinfo is not None:
        raise JamdatError(
            f"{text!r}: give the event's local time without an offset and its zone with --timezone"
        )
    return parsed.replace(microsecond=0)


def _check_zone(zone: str) -> None:
    zone_error = zone and zone_problem(zone)
    if zone_error:
        raise JamdatError(zone_error)


def _slug(name: str, given: str | None, fallback: str) -> str:
    slug = given if given else slugify(name, fallback)
    if not _SLUG.match(slug):
        raise JamdatError(
            f"{slug!r} is not a valid slug: use lowercase letters, digits and single hyphens"
        )
    return slug


def _event(
    site: Site,
    name: str,
    starts_at: datetime,
    ends_at: datetime | None,
    *,
    slug: str | None = None,
    timezone: str = "",
    location: str = "",
    summary: str = "",
) -> Event:
    """A new event for `site`, checked: unique slug, valid zone, ends after it starts."""
    if not name.strip():
        raise JamdatError("an event needs a name")
    key = _slug(name, slug, "event")
    if key in RESERVED:
        raise JamdatError(
            f"the slug {key!r} is reserved for the site's own pages; pass --slug to choose another"
        )
    if key in site.events:
        raise JamdatError(
            f"event {key!r} already exists (data/events.csv); choose another name or --slug"
        )
    _check_zone(timezone)
    ends = ends_at or datetime.combine(starts_at.date() + timedelta(days=1), END_TIME)
    if ends <= starts_at:
        raise JamdatError(f"the event would end ({ends:%Y-%m-%d %H:%M}) before it starts")
    return Event(
        slug=key,
        name=name.strip(),
        starts_at=starts_at,
        ends_at=ends,
        summary=summary,
        timezone=timezone,
        location=location,
        description=EVENT_TEXT.format(name=name.strip(), slug=key).rstrip("\n"),
    )


def _project(
    site: Site,
    event: str,
    name: str,
    *,
    slug: str | None = None,
    summary: str = "",
    team: str = "",
    category: str = "",
    challenge: bool = False,
) -> Project:
    """A new project of `event`, checked: the event and challenge exist, the slug is free."""
    if event not in site.events:
        known = ", ".join(sorted(site.events)) or "none yet; add one with `jamdat new event`"
        raise JamdatError(f"no event {event!r} in data/events.csv (events: {known})")
    if not name.strip():
        raise JamdatError("a project needs a name")
    key = _slug(name, slug, "project")
    if (event, key) in site.projects:
        raise JamdatError(
            f"project {event}/{key} already exists (data/projects.csv, "
            f"projects/{event}/{key}.md); choose another name or --slug"
        )
    if category and (event, category) not in site.categories:
        known = ", ".join(sorted(c.slug for c in site.categories_of(event))) or "none"
        raise JamdatError(
            f"no category {category!r} in event {event!r} (data/categories.csv; known: {known})"
        )
    pitch = PROJECT_TEXT.format(name=name.strip(), event=event, slug=key).rstrip("\n")
    return Project(
        event=event,
        slug=key,
        name=name.strip(),
        summary=summary,
        category=category,
        is_challenge=challenge or None,
        progress=0 if challenge else 5,
        team=team,
        pitch=pitch,
    )


SITE_YAML_HEAD = """\
# Settings of this archive. Optional keys not written here:
#   license, license_url  licence of the content (e.g. CC-BY-SA-4.0) and a link to its text
#   api_url               address of the edit API (`jamdat api`); pages link its edit form
#   search                false leaves out the static project search (default true)
#   feed_size             entries in the Atom feeds (default 50)
#   pitch_seconds         countdown per team in the slide decks (default 180)
#   sync                  how `jamdat sync` reaches the forges (see the README's "Sync")
"""


def site_yaml(config: SiteConfig) -> str:
    """A new archive's `site.yaml`: the main settings written out, even at their defaults,
    so the organiser sees what to change."""
    keys = ("title", "description", "base_url", "language", "timezone")
    data = {key: getattr(config, key) for key in keys}
    return SITE_YAML_HEAD + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def init_archive(
    content: Path,
    *,
    title: str,
    base_url: str = "/",
    timezone: str = "UTC",
    example: bool = True,
    today: date | None = None,
) -> list[str]:
    """A new archive in `content` (missing or empty): settings, the stage ladder, empty
    tables with their descriptor and, unless `example` is off, one event with a pitch."""
    if content.exists() and not content.is_dir():
        raise JamdatError(f"{content} is a file, not a folder")
    if content.is_dir() and any(p.name != STATE_DIR for p in content.iterdir()):
        raise JamdatError(
            f"{content} is not empty: `jamdat init` starts an archive in a new or empty folder"
        )
    _check_zone(timezone)
    config = SiteConfig(title=title, base_url=base_url, timezone=timezone)
    site = new_site(config)
    if example:
        start = datetime.combine((today or date.today()) + timedelta(days=28), START_TIME)
        event = _event(
            site,
            "Example Hackathon",
            start,
            None,
            timezone=timezone,
            location="Online",
            summary="Two days of building things together.",
        )
        site.events[event.slug] = event
        project = _project(
            site, event.slug, "Example project", summary="What the team set out to build."
        )
        site.projects[project.key] = project
    made = not content.exists()
    content.mkdir(parents=True, exist_ok=True)
    empty = checkout_or_new(content).read
    settings = {
        "site.yaml": site_yaml(config),
        "stages.yaml": Stages().to_yaml(),
        ".gitignore": f"{STATE_DIR}/\n",
    }
    try:
        written = save(content, site, also=settings, read=empty)
    except OSError:
        if made:  # leave no trace: nothing was written (the lock file aside)
            shutil.rmtree(content, ignore_errors=True)
        raise
    load(content)  # what was written must load: fail here, not at the first build
    return written


def new_event(
    content: Path,
    name: str,
    starts_at: datetime,
    ends_at: datetime | None = None,
    *,
    slug: str | None = None,
    timezone: str = "",
    location: str = "",
    summary: str = "",
) -> Created:
    """Add an event row and its description file."""
    made: list[str] = []

    def add(site: Site) -> None:
        event = _event(
            site,
            name,
            starts_at,
            ends_at,
            slug=slug,
            timezone=timezone,
            location=location,
            summary=summary,
        )
        site.events[event.slug] = event
        made[:] = [event.slug]

    changed = edit(content, add)
    return Created(made[0], changed)


def new_project(
    content: Path,
    event: str,
    name: str,
    *,
    slug: str | None = None,
    summary: str = "",
    team: str = "",
    category: str = "",
    challenge: bool = False,
) -> Created:
    """Add a project (or a challenge) row and its pitch file."""
    made: list[str] = []

    def add(site: Site) -> None:
        project = _project(
            site,
            event,
            name,
            slug=slug,
            summary=summary,
            team=team,
            category=category,
            challenge=challenge,
        )
        site.projects[project.key] = project
        made[:] = [f"{project.event}/{project.slug}"]

    changed = edit(content, add)
    return Created(made[0], changed)
