"""Typed records of an archive. Every reader of `content/` gets these, never raw dicts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import SiteConfig, Stages


@dataclass(slots=True)
class Event:
    """A hackathon. Long texts live in `events/<slug>.md` and `events/<slug>/<field>.md`."""

    slug: str
    name: str
    starts_at: datetime
    ends_at: datetime
    summary: str = ""
    timezone: str = ""
    location: str = ""
    location_lat: float | None = None
    location_lon: float | None = None
    hostname: str = ""
    hashtags: str = ""
    webpage_url: str = ""
    community_url: str = ""
    logo_url: str = ""
    gallery_url: str = ""
    certificate_path: str = ""
    lock_starting: bool | None = None
    lock_editing: bool | None = None
    legacy_id: int | None = None
    legacy_url: str = ""
    legacy_aliases: str = ""
    """Other old URLs of this record (space-separated), each redirected like `legacy_url`."""
    # Markdown files
    description: str = ""
    instruction: str = ""
    boilerplate: str = ""
    aftersubmit: str = ""
    community_embed: str = ""
    custom_css: str = ""

    def coordinates(self) -> tuple[float, float] | None:
        """The venue's (lat, lon), if it has a place: 0/0 is Dribdat's "none", not a place."""
        lat, lon = self.location_lat, self.location_lon
        if lat is None or lon is None or (lat == 0 and lon == 0):
            return None
        return lat, lon


@dataclass(slots=True)
class Category:
    """A challenge track within an event."""

    event: str
    slug: str
    name: str
    description: str = ""
    logo_color: str = ""
    logo_icon: str = ""
    legacy_id: int | None = None


@dataclass(slots=True)
class Project:
    """A team's project or a challenge. The pitch is `projects/<event>/<slug>.md`."""

    event: str
    slug: str
    name: str
    summary: str = ""
    category: str = ""
    is_challenge: bool | None = None
    progress: int | None = None
    ident: str = ""
    hashtag: str = ""
    team: str = ""
    maintainer: str = ""
    webpage_url: str = ""
    source_url: str = ""
    autotext_url: str = ""
    download_url: str = ""
    contact_url: str = ""
    image_url: str = ""
    logo_color: str = ""
    logo_icon: str = ""
    is_webembed: bool | None = None
    is_hidden: bool | None = None
    pitch_order: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    legacy_id: int | None = None
    legacy_url: str = ""
    legacy_aliases: str = ""
    """Other old URLs of this record (space-separated), each redirected like `legacy_url`."""
    # Markdown files
    pitch: str = ""
    readme: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.event, self.slug)

    @property
    def team_members(self) -> list[str]:
        return [name.strip() for name in self.team.split(",") if name.strip()]

    @property
    def stage(self) -> int:
        return self.progress if self.progress is not None else 0


@dataclass(slots=True)
class Activity:
    """One entry of a project's log: a post, a commit, a sync, a stage change ..."""

    id: str
    event: str
    project: str
    date: datetime
    name: str = ""
    action: str = ""
    content: str = ""
    ref_url: str = ""
    user: str = ""
    legacy_id: int | None = None


@dataclass(slots=True)
class Person:
    """Public profile of a participant: never e-mail addresses or other private data."""

    username: str
    fullname: str = ""
    webpage_url: str = ""
    avatar_url: str = ""


@dataclass(slots=True)
class Site:
    """The whole archive as loaded from `content/`."""

    config: SiteConfig
    stages: Stages
    events: dict[str, Event] = field(default_factory=dict)
    categories: dict[tuple[str, str], Category] = field(default_factory=dict)
    projects: dict[tuple[str, str], Project] = field(default_factory=dict)
    activities: dict[str, Activity] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)

    def projects_of(self, event: str) -> Iterator[Project]:
        return (p for p in self.projects.values() if p.event == event)

    def categories_of(self, event: str) -> Iterator[Category]:
        return (c for c in self.categories.values() if c.event == event)
