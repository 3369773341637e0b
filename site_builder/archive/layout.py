"""Where each record's files live in `content/`: one function per kind of path, so no
module spells the archive's layout by hand."""

from __future__ import annotations

from .rules import EVENT_CSS

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
