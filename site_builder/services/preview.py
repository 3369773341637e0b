"""Pitch previews: Markdown rendered exactly as the static project page renders it."""

from __future__ import annotations

from ..model import Project, Site
from ..render.markdown import render_markdown
from ..render.views import pitch_base, pitch_html
from .editor import Editor
from .errors import NotFound
from .projects import find_project


def preview_pitch(site: Site, editor: Editor, text: str, event: str = "", slug: str = "") -> str:
    """The HTML of `text` as the pitch of `event`/`slug` (its links resolve the same way),
    or of a new project in `event` (or anywhere) when no project is named."""
    if event and slug:
        project = find_project(site, event, slug)
        if project.is_hidden and not editor.may_edit(project):
            raise NotFound(f"project {slug!r} does not exist in event {event!r}")
    else:
        project = Project(event=event, slug="", name="")
    return pitch_html(render_markdown, text, pitch_base(project, site.events.get(event)))
