"""`jamdat init` and `jamdat new`: start an archive, add events and projects.

Entries are checked and added by the same services the API calls (so the two accept and
refuse the same slugs), then written through the store, so a new archive or entry is in
the same deterministic format as an imported one and validates as it is.
"""

from __future__ import annotations

import getpass
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TypeVar, cast

import yaml

from ..archive.layout import description_path, pitch_path
from ..archive.loading import STATE_DIR, checkout_or_new, load, new_site
from ..archive.rules import slugify, zone_problem
from ..archive.saving import edit, save
from ..config import SiteConfig, Stages
from ..errors import JamdatError
from ..model import Event, Project, Site
from . import events as event_ops
from . import projects as project_ops
from .common import Outcome
from .editor import Editor
from .errors import Conflict, EditError, Invalid

R = TypeVar("R", Event, Project)

START_TIME = time(9, 0)
"""When an event given only a date starts."""
END_TIME = time(17, 0)
"""When an event ends by default: this time on the day after it starts."""

EVENT_TEXT = """\
Describe {name} here: what it is about, who it is for, the schedule and where to meet.

This text is `{path}` in the archive; Markdown works, and so do links and images.
"""

PROJECT_TEXT = """\
## {name}

What does the project do, and for whom? This is the team's pitch: `{path}`.

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


def local_editor() -> Editor:
    """Who runs the command: an organiser, since they hold the archive's files."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        user = ""
    return Editor(user or "organiser", "organiser")


def _create(
    op: Callable[[Site, Editor, R, datetime], Outcome], site: Site, record: R, named: bool
) -> R:
    """Add `record` to `site` through the service the API calls, so the CLI and the API
    refuse and accept the same entries. A slug made from the name (`named`) that is
    refused comes with the hint to choose one."""
    try:
        outcome = op(site, local_editor(), record, datetime.now(UTC).replace(microsecond=0))
    except EditError as exc:
        slug_refused = isinstance(exc, Conflict) or (
            isinstance(exc, Invalid) and any(p.field == "slug" for p in exc.problems)
        )
        hint = "; choose another name or pass --slug" if named and slug_refused else ""
        raise JamdatError(f"{exc}{hint}") from None
    return cast(R, outcome.record)


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
    """Add a new event to `site`: its slug made from the name unless given, its end the
    next day at 17:00 unless given, a description to fill in."""
    key = slug if slug is not None else slugify(name, "untitled-event")
    ends = ends_at or datetime.combine(starts_at.date() + timedelta(days=1), END_TIME)
    event = Event(
        slug=key,
        name=name.strip(),
        starts_at=starts_at,
        ends_at=ends,
        summary=summary,
        timezone=timezone,
        location=location,
        description=EVENT_TEXT.format(name=name.strip(), path=description_path(key)).rstrip("\n"),
    )
    return _create(event_ops.create_event, site, event, named=slug is None)


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
    """Add a new project (or challenge) of `event` to `site`, with a pitch to fill in."""
    key = slug if slug is not None else slugify(name, "project")
    pitch = PROJECT_TEXT.format(name=name.strip(), path=pitch_path(event, key)).rstrip("\n")
    project = Project(
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
    return _create(project_ops.create_project, site, project, named=slug is None)


SITE_YAML_HEAD = """\
# Settings of this archive. Optional keys not written here:
#   license, license_url  licence of the content (e.g. CC-BY-SA-4.0) and a link to its text
#   api_url               address of the edit API (`jamdat api`); pages link its edit form
#   search                false leaves out the static project search (default true)
#   feed_size             entries in the Atom feeds (default 50)
#   gallery_size          project cards per page of an event's gallery (default 48, 0: all)
#   pitch_seconds         countdown per team in the slide decks (default 180)
#   deck_challenges       false leaves challenges out of the event's slide deck (default true)
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
        _project(site, event.slug, "Example project", summary="What the team set out to build.")
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
        made[:] = [f"{project.event}/{project.slug}"]

    changed = edit(content, add)
    return Created(made[0], changed)
