"""What clients send: msgspec Structs that refuse unknown fields, wrong types, bad slugs
and over-long texts. Field names are the archive's (Dribdat's) own."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from msgspec import UNSET, Meta, Struct, UnsetType

from site_builder.archive.rules import (
    BLANK,
    EVENT_PAGES,
    SITE_PAGES,
    reserved_problem,
    zone_names,
)
from site_builder.archive.schema import SLUG_PATTERN
from site_builder.archive.textlimits import MAX_POST_CHARS, MAX_TEXT_CHARS

T = TypeVar("T")

LOCAL_TIME_FORMAT = "date-time-local"
"""The OpenAPI format registry's name for an RFC 3339 date-time without offset."""
SLUG_HELP = "lowercase letters, digits and single hyphens, e.g. `river-levels`"
_NOT_IN_URL = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
"""Controls and spaces, spelled out: `\\s` means other characters in Python than in the
ECMA regexes of JSON Schema."""
URL_PATTERN = rf"^(https?://[^{_NOT_IN_URL}/?#\[\]]+([/?#][^{_NOT_IN_URL}]*)?)?$"
"""An http(s) URL without spaces or controls whose host has no brackets (URL parsers
refuse them unless they hold an IPv6 address), or ''."""
TEXT_PATTERN = r"^[^\x00]*$"
"""Texts: anything but NUL, which the archive's files cannot hold."""

Slug = Annotated[str, Meta(pattern=SLUG_PATTERN, max_length=60, description=SLUG_HELP)]


def _slug_but(reserved: frozenset[str]) -> str:
    """`SLUG_PATTERN` without the `reserved` names, so the description states them too."""
    return f"^(?!({'|'.join(sorted(reserved))})$){SLUG_PATTERN.removeprefix('^')}"


EVENT_SLUG_PATTERN = _slug_but(SITE_PAGES)
PROJECT_SLUG_PATTERN = _slug_but(EVENT_PAGES)
NewEventSlug = Annotated[
    str,
    Meta(
        pattern=EVENT_SLUG_PATTERN,
        max_length=60,
        description=f"{SLUG_HELP}; not a folder of the site's own pages "
        f"({', '.join(sorted(SITE_PAGES))}).",
    ),
]
NewProjectSlug = Annotated[
    str,
    Meta(
        pattern=PROJECT_SLUG_PATTERN,
        max_length=60,
        description=f"{SLUG_HELP}; not a folder of the event's own pages "
        f"({', '.join(sorted(EVENT_PAGES))}).",
    ),
]
CategoryRef = Annotated[
    str,
    Meta(
        pattern=SLUG_PATTERN,
        max_length=60,
        description="The slug of one of the event's categories (else 422), or null.",
    ),
]
NAME_PATTERN = "^[^\\x00]*[^\\x00" + "".join(f"\\u{ord(c):04x}" for c in BLANK) + "][^\\x00]*$"
"""Names: a text with at least one character that is not blank (`rules.BLANK`)."""

Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=NAME_PATTERN)]
Line = Annotated[str, Meta(max_length=200, pattern=TEXT_PATTERN)]
Summary = Annotated[
    str, Meta(max_length=2000, pattern=TEXT_PATTERN, description="One or two sentences.")
]
Markdown = Annotated[
    str, Meta(max_length=MAX_TEXT_CHARS, pattern=TEXT_PATTERN, description="Markdown text.")
]
Url = Annotated[
    str, Meta(max_length=2048, pattern=URL_PATTERN, description="An http(s) URL, or empty.")
]
Team = Annotated[
    str,
    Meta(max_length=2000, pattern=TEXT_PATTERN, description="Usernames, comma separated."),
]
LOCAL_TIME_HELP = (
    "Local wall-clock time in the event's `timezone`, without offset or Z, "
    "e.g. `2025-03-01T09:00:00`."
)
LocalTime = Annotated[datetime, Meta(tz=False, description=LOCAL_TIME_HELP)]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
Order = Annotated[int, Meta(ge=0, le=100_000, description="Place in the pitch session.")]
STAGE_HELP = (
    "One of the stage numbers of `GET /api/v1/stages` (negative ones only for challenges); "
    "any other is a 422."
)
Stage = Annotated[int, Meta(description=STAGE_HELP)]
Post = Annotated[
    str,
    Meta(
        min_length=1, max_length=MAX_POST_CHARS, pattern=TEXT_PATTERN, description="Markdown text."
    ),
]

FRIENDLY = {
    SLUG_PATTERN: f"is not a valid slug: use {SLUG_HELP} (no spaces, '/', '.', '%' or NUL)",
    TEXT_PATTERN: "must not contain NUL characters",
    NAME_PATTERN: "must not be blank (nor contain NUL characters)",
    URL_PATTERN: "is not a link: use an http:// or https:// URL without spaces, or ''",
    "with no timezone component": (
        "must be a local wall-clock time without offset or Z (the event's `timezone` "
        "applies), e.g. 2025-03-01T09:00:00"
    ),
}
"""Clearer messages than "Expected `str` matching regex ..." for the common patterns."""

CHOICES: dict[str, tuple[frozenset[str], str]] = {
    "timezone": (
        frozenset({"", *zone_names()}),
        "is not a time zone: use an IANA name like 'Europe/Zurich', or leave it empty for "
        "the site's default",
    ),
}
"""String fields (of any body) that take one of a fixed set of values, and the message for
any other; the OpenAPI description lists the values as the field's `enum`."""

_TOO_LONG = re.compile(r"Expected `str` of length <= (\d+)")


_RESERVED = {EVENT_SLUG_PATTERN: True, PROJECT_SLUG_PATTERN: False}
"""The slug patterns that leave out reserved names, and whether they are events'."""


def friendly(text: str, value: object = None) -> str:
    """msgspec's message, or a clearer one for the patterns clients meet most; a slug of
    a reserved name (`value`) is refused with the rule the command line states too."""
    for pattern, event in _RESERVED.items():
        if pattern in text or repr(pattern) in text:
            reserved = reserved_problem(value, event=event) if isinstance(value, str) else None
            return reserved or FRIENDLY[SLUG_PATTERN]
    if match := _TOO_LONG.match(text):
        return f"is too long: at most {int(match.group(1)):,} characters"
    for pattern, message in FRIENDLY.items():
        if pattern in text or repr(pattern) in text:
            return message
    return text


class Input(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are errors, never silently dropped."""

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, by name (absent ones are UNSET)."""
        return {
            name: value
            for name in self.__struct_fields__
            if (value := getattr(self, name)) is not UNSET
        }


class EventCreate(Input):
    slug: NewEventSlug
    name: Name
    starts_at: LocalTime
    ends_at: LocalTime
    summary: Summary = ""
    timezone: Line = ""
    location: Line = ""
    location_lat: Latitude | None = None
    location_lon: Longitude | None = None
    hostname: Line = ""
    hashtags: Line = ""
    webpage_url: Url = ""
    community_url: Url = ""
    logo_url: Url = ""
    gallery_url: Url = ""
    certificate_path: Url = ""
    lock_starting: bool | None = None
    lock_editing: bool | None = None
    description: Markdown = ""
    instruction: Markdown = ""
    boilerplate: Markdown = ""
    aftersubmit: Markdown = ""


class EventPatch(Input):
    name: Name | UnsetType = UNSET
    starts_at: LocalTime | UnsetType = UNSET
    ends_at: LocalTime | UnsetType = UNSET
    summary: Summary | UnsetType = UNSET
    timezone: Line | UnsetType = UNSET
    location: Line | UnsetType = UNSET
    location_lat: Latitude | UnsetType | None = UNSET
    location_lon: Longitude | UnsetType | None = UNSET
    hostname: Line | UnsetType = UNSET
    hashtags: Line | UnsetType = UNSET
    webpage_url: Url | UnsetType = UNSET
    community_url: Url | UnsetType = UNSET
    logo_url: Url | UnsetType = UNSET
    gallery_url: Url | UnsetType = UNSET
    certificate_path: Url | UnsetType = UNSET
    lock_starting: bool | UnsetType | None = UNSET
    lock_editing: bool | UnsetType | None = UNSET
    description: Markdown | UnsetType = UNSET
    instruction: Markdown | UnsetType = UNSET
    boilerplate: Markdown | UnsetType = UNSET
    aftersubmit: Markdown | UnsetType = UNSET


class CategoryCreate(Input):
    slug: Slug
    name: Name
    description: Summary = ""
    logo_color: Line = ""
    logo_icon: Line = ""


class CategoryPatch(Input):
    name: Name | UnsetType = UNSET
    description: Summary | UnsetType = UNSET
    logo_color: Line | UnsetType = UNSET
    logo_icon: Line | UnsetType = UNSET


class ProjectCreate(Input):
    slug: NewProjectSlug
    name: Name
    summary: Summary = ""
    category: CategoryRef | None = None
    is_challenge: bool | None = None
    progress: Stage | None = None
    ident: Line = ""
    hashtag: Line = ""
    team: Team = ""
    maintainer: Line = ""
    webpage_url: Url = ""
    source_url: Url = ""
    autotext_url: Url = ""
    download_url: Url = ""
    contact_url: Url = ""
    image_url: Url = ""
    logo_color: Line = ""
    logo_icon: Line = ""
    is_webembed: bool | None = None
    is_hidden: bool | None = None
    pitch_order: Order | None = None
    pitch: Markdown = ""


class ProjectPatch(Input):
    """Team members may send the first fields; `is_challenge` and below need an organiser.
    The stage changes through `PUT .../stage`."""

    name: Name | UnsetType = UNSET
    summary: Summary | UnsetType = UNSET
    category: CategoryRef | UnsetType | None = UNSET
    hashtag: Line | UnsetType = UNSET
    webpage_url: Url | UnsetType = UNSET
    source_url: Url | UnsetType = UNSET
    autotext_url: Url | UnsetType = UNSET
    download_url: Url | UnsetType = UNSET
    contact_url: Url | UnsetType = UNSET
    image_url: Url | UnsetType = UNSET
    logo_color: Line | UnsetType = UNSET
    logo_icon: Line | UnsetType = UNSET
    is_webembed: bool | UnsetType | None = UNSET
    pitch: Markdown | UnsetType = UNSET
    is_challenge: bool | UnsetType | None = UNSET
    ident: Line | UnsetType = UNSET
    team: Team | UnsetType = UNSET
    maintainer: Line | UnsetType = UNSET
    is_hidden: bool | UnsetType | None = UNSET


class StageChange(Input):
    progress: Annotated[int, Meta(ge=-1000, le=1000, description=STAGE_HELP)]


class ProjectStart(Input):
    """A participant's new project: the slug comes from the name, the stage is the
    ladder's first project stage, and the starter is its team."""

    name: Name
    summary: Summary = ""
    challenge: Annotated[
        str,
        Meta(
            pattern=f"{SLUG_PATTERN}|^$",
            max_length=60,
            description="Start from this challenge (a project slug of the event); the new "
            "project joins its category.",
        ),
    ] = ""


class PreviewRequest(Input):
    """Markdown to render as the pitch of `project` in `event` (both optional)."""

    markdown: Markdown
    event: Annotated[str, Meta(pattern=f"{SLUG_PATTERN}|^$", max_length=60)] = ""
    project: Annotated[str, Meta(pattern=f"{SLUG_PATTERN}|^$", max_length=60)] = ""


class Preview(Struct, kw_only=True):
    """The HTML the static site would show."""

    html: str


class PostCreate(Input):
    content: Post
    ref_url: Url = ""


class AnnouncementPatch(Input):
    """What an organiser may change on an announcement; absent fields keep their value."""

    content: Post | UnsetType = UNSET
    ref_url: Url | UnsetType = UNSET


class Page(Struct, Generic[T], kw_only=True):
    """One page of a list; `total` counts all entries, `page` starts at 1."""

    items: list[T]
    page: int
    per_page: int
    total: int


def none_to_empty(changes: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """String fields the archive stores as '' when a client sends null."""
    return {k: ("" if v is None and k in fields else v) for k, v in changes.items()}


class InviteCreate(Input):
    event: Slug
    role: Annotated[
        str, Meta(pattern=r"^(member|organiser)$", description="member or organiser")
    ] = "member"
    uses: Annotated[int, Meta(ge=1, le=10_000, description="How many people may join with it.")] = 1
    expires_hours: (
        Annotated[int, Meta(ge=1, le=8760, description="Hours until it expires; absent: never.")]
        | UnsetType
    ) = UNSET


class TokenCreate(Input):
    expires_days: Annotated[int, Meta(ge=1, le=3650, description="Days until it expires.")] = 30
