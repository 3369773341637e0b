"""Where each record's files live in `content/`: one function per kind of path, so no
module spells the archive's layout by hand."""

from __future__ import annotations

from typing import Any

from .rules import EVENT_CSS, EVENT_TEXTS

EVENTS_DIR, PROJECTS_DIR, SYNCED_DIR = "events", "projects", "synced"
"""Folders of the long texts: events' texts, teams' pitches, synced READMEs."""


def description_path(event: str) -> str:
    """An event's description: `events/<event>.md`."""
    return f"{EVENTS_DIR}/{event}.md"


def event_text_path(event: str, name: str) -> str:
    """One of an event's other texts (`rules.EVENT_TEXTS`, or its style sheet):
    `events/<event>/<name>.md` (`.css` for `custom_css`); the description has its own."""
    if name == "description":
        return description_path(event)
    suffix = "css" if name == EVENT_CSS else "md"
    return f"{EVENTS_DIR}/{event}/{name}.{suffix}"


def pitch_path(event: str, project: str) -> str:
    """A project's pitch, written by its team: `projects/<event>/<project>.md`."""
    return f"{PROJECTS_DIR}/{event}/{project}.md"


def readme_path(event: str, project: str) -> str:
    """A project's README as sync fetched it: `synced/<event>/<project>.md`."""
    return f"{SYNCED_DIR}/{event}/{project}.md"


def project_text_path(event: str, project: str, name: str) -> str:
    """The file of a project's long text by field name (`pitch` or `readme`)."""
    return readme_path(event, project) if name == "readme" else pitch_path(event, project)


EVENT_FILES = frozenset({f"{name}.md" for name in EVENT_TEXTS} | {f"{EVENT_CSS}.css"})
"""The names an event's other texts may have in `events/<event>/`."""

TextSlot = tuple[str, Any, str]
"""Where a text file's content goes: ("project", (event, slug), "pitch" | "readme") or
("event", slug, field name)."""


def text_slot(rel: str) -> TextSlot | None:
    """The record field a text file (path relative to the content) fills, by its path
    alone; None for files that are not long texts (tables, settings, media)."""
    parts = rel.split("/")
    if len(parts) == 3 and parts[0] in (PROJECTS_DIR, SYNCED_DIR) and parts[2].endswith(".md"):
        field = "pitch" if parts[0] == PROJECTS_DIR else "readme"
        return ("project", (parts[1], parts[2][:-3]), field)
    if len(parts) == 2 and parts[0] == EVENTS_DIR and parts[1].endswith(".md"):
        return ("event", parts[1][:-3], "description")
    if len(parts) == 3 and parts[0] == EVENTS_DIR:
        return ("event", parts[1], parts[2].rsplit(".", 1)[0])
    return None


def is_synced(rel: str) -> bool:
    """Whether a text file was written by sync (its length is cut, not refused)."""
    return rel.startswith(f"{SYNCED_DIR}/")
