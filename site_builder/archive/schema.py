"""The tables of an archive: one definition drives the CSV reader, the writer and the
Frictionless descriptor (`content/datapackage.json`), so they can never disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FieldType = Literal["string", "integer", "number", "boolean", "datetime"]

SLUG_PATTERN = "^[a-z0-9]+(-[a-z0-9]+)*$"
URL_MAX_LENGTH = 2000
URL_MAX_SEGMENT = 200
"""Longest URL and path segment a `url` field takes: old paths become folders of the site."""
YEARS = (1970, 2999)
"""The years a date may fall in: anything outside is a typo, and dates near the ends of
Python's range overflow when shifted between zones."""


@dataclass(frozen=True, slots=True)
class Field:
    """One CSV column: its name (Dribdat's vocabulary), type and meaning."""

    name: str
    type: FieldType
    description: str
    required: bool = False
    slug: bool = False
    local_time: bool = False
    """A wall-clock time in the event's zone: it carries no offset."""
    url: bool = False
    """A web address whose path may become file names (see `URL_MAX_LENGTH`)."""
    added: bool = False
    """A column newer than the first archives: a table without it reads it as empty, and
    the next save of that table (or `jamdat validate --fix`) adds it."""

    def descriptor(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "description": self.description,
        }
        constraints: dict[str, Any] = {}
        if self.required:
            constraints["required"] = True
        if self.slug:
            constraints["pattern"] = SLUG_PATTERN
        if constraints:
            out["constraints"] = constraints
        if self.type == "boolean":
            out["trueValues"] = ["true"]
            out["falseValues"] = ["false"]
        return out


@dataclass(frozen=True, slots=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A CSV table under `data/`, with its key and references."""

    name: str
    title: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = field(default=())

    @property
    def path(self) -> str:
        return f"data/{self.name}.csv"

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def absent(self, header: list[str]) -> tuple[list[str], list[str]]:
        """The schema's columns a header lacks: (required ones, ones added later)."""
        gone = [f for f in self.fields if f.name not in header]
        return [f.name for f in gone if not f.added], [f.name for f in gone if f.added]

    def descriptor(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "fields": [f.descriptor() for f in self.fields],
            "primaryKey": list(self.primary_key),
            "missingValues": [""],
        }
        if self.foreign_keys:
            schema["foreignKeys"] = [
                {
                    "fields": list(fk.fields),
                    "reference": {"resource": fk.resource, "fields": list(fk.reference)},
                }
                for fk in self.foreign_keys
            ]
        return {
            "name": self.name,
            "title": self.title,
            "path": self.path,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {"delimiter": ",", "quoteChar": '"', "header": True},
            "schema": schema,
        }


def _s(name: str, description: str, **kw: Any) -> Field:
    return Field(name, "string", description, **kw)


_LEGACY = (
    Field("legacy_id", "integer", "Numeric id on the Dribdat server this came from."),
    _s(
        "legacy_url",
        "Page URL on the Dribdat server this came from, kept for redirects.",
        url=True,
    ),
    _s(
        "legacy_aliases",
        "Its other Dribdat page URLs (mirrors on other servers), space-separated: "
        "each keeps a redirect, like `legacy_url`.",
        added=True,
    ),
)

EVENTS = Table(
    "events",
    "Events",
    (
        _s("slug", "Key: the event's URL segment.", required=True, slug=True),
        _s("name", "The event's name.", required=True),
        _s("summary", "One-line summary."),
        Field(
            "starts_at",
            "datetime",
            "Start, local wall-clock time in `timezone`.",
            required=True,
            local_time=True,
        ),
        Field(
            "ends_at",
            "datetime",
            "End, local wall-clock time in `timezone`.",
            required=True,
            local_time=True,
        ),
        _s("timezone", "IANA time zone of the event's times; empty means the site default."),
        _s("location", "Where it takes place."),
        Field("location_lat", "number", "Latitude of the venue."),
        Field("location_lon", "number", "Longitude of the venue."),
        _s("hostname", "Who hosts the event."),
        _s("hashtags", "Hashtags, space separated."),
        _s("webpage_url", "The event's own home page."),
        _s("community_url", "Chat or social link of the community."),
        _s("logo_url", "Logo image."),
        _s("gallery_url", "Header or gallery image."),
        _s("certificate_path", "Template URL of participation certificates."),
        Field(
            "lock_starting",
            "boolean",
            "No new projects may be started (Dribdat's flag).",
            added=True,
        ),
        Field(
            "lock_editing",
            "boolean",
            "Projects are frozen for members (Dribdat's flag).",
            added=True,
        ),
        *_LEGACY,
    ),
    ("slug",),
)

CATEGORIES = Table(
    "categories",
    "Categories (challenges and tracks)",
    (
        _s("event", "Key: the event's slug.", required=True, slug=True),
        _s("slug", "Key: the category's slug within its event.", required=True, slug=True),
        _s("name", "The category's name.", required=True),
        _s("description", "Short description."),
        _s("logo_color", "Colour as a CSS value."),
        _s("logo_icon", "Icon name."),
        *_LEGACY[:1],
    ),
    ("event", "slug"),
    (ForeignKey(("event",), "events", ("slug",)),),
)

PROJECTS = Table(
    "projects",
    "Projects and challenges",
    (
        _s("event", "Key: the event's slug.", required=True, slug=True),
        _s("slug", "Key: the project's slug within its event.", required=True, slug=True),
        _s("name", "The project's name.", required=True),
        _s("summary", "One-line summary."),
        _s("category", "Slug of the project's category in the same event.", slug=True),
        Field("is_challenge", "boolean", "A challenge rather than a team's project."),
        Field(
            "progress", "integer", "Stage number (Dribdat's ladder); negative: awaiting approval."
        ),
        _s("ident", "Short identifier (table or team number)."),
        _s("hashtag", "Hashtag or channel of the team."),
        _s("team", "Usernames of the team, comma separated."),
        _s("maintainer", "Username of the maintainer."),
        _s("webpage_url", "Demo or presentation link."),
        _s("source_url", "Source code repository."),
        _s("autotext_url", "Where sync fetches the README from."),
        _s("download_url", "Download or release link."),
        _s("contact_url", "Contact or issues link."),
        _s("image_url", "Cover image."),
        _s("logo_color", "Colour as a CSS value."),
        _s("logo_icon", "Icon name."),
        Field("is_webembed", "boolean", "Dribdat showed webpage_url embedded."),
        Field("is_hidden", "boolean", "Hidden from the site."),
        Field(
            "pitch_order",
            "integer",
            "Place in the event's pitch session (slide deck), lowest first; empty: after "
            "the numbered ones, challenges first, then by name.",
        ),
        Field("created_at", "datetime", "When it was created (UTC)."),
        Field("updated_at", "datetime", "When it was last updated (UTC)."),
        *_LEGACY,
    ),
    ("event", "slug"),
    (
        ForeignKey(("event",), "events", ("slug",)),
        ForeignKey(("category",), "categories", ("slug",)),
    ),
)

ACTIVITIES = Table(
    "activities",
    "Activities (the project logs)",
    (
        _s("id", "Key: time-ordered unique id.", required=True),
        _s("event", "The event's slug.", required=True, slug=True),
        _s(
            "project",
            "The project's slug within the event; empty for an organiser's announcement "
            "to the whole event (action `announce`).",
            slug=True,
        ),
        Field("date", "datetime", "When it happened, in UTC.", required=True),
        _s("name", "Dribdat's activity name: update, create, star, review, boost ..."),
        _s("action", "Kind of activity: post, announce, commit, sync, stage ..."),
        _s("content", "The text of a post or commit message."),
        _s("ref_url", "Link to what the activity refers to."),
        _s("user", "Username of who did it."),
        *_LEGACY[:1],
    ),
    ("id",),
    (
        ForeignKey(("event",), "events", ("slug",)),
        ForeignKey(("project",), "projects", ("slug",)),
    ),
)

PEOPLE = Table(
    "people",
    "People (public profile fields only)",
    (
        _s("username", "Key: the person's username.", required=True),
        _s("fullname", "Full name as the person chose to show it."),
        _s("webpage_url", "Public profile link."),
        _s("avatar_url", "Public picture of the person (an image link).", added=True),
    ),
    ("username",),
)

TABLES: tuple[Table, ...] = (EVENTS, CATEGORIES, PROJECTS, ACTIVITIES, PEOPLE)


def package_descriptor(title: str, license_name: str) -> dict[str, Any]:
    """The Frictionless data package descriptor of an archive."""
    descriptor: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": "jamdat-archive",
        "title": title,
        "resources": [t.descriptor() for t in TABLES],
    }
    if license_name:
        descriptor["licenses"] = [{"name": license_name}]
    return descriptor
