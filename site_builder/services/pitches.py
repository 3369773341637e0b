"""The order in which an event's teams pitch: organisers set it as a whole.

One edit renumbers every affected project (`pitch_order` 1..n in the given order, and
clears it on the event's other projects), so the deck never shows a half-applied order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from ..archive import schema
from ..model import Site
from .common import Outcome, audit, require_organiser
from .editor import Editor
from .errors import Conflict, NotFound


@dataclass(frozen=True, slots=True)
class PitchOrder:
    """The event's pitch order after an edit: slugs, first to pitch first."""

    event: str
    order: tuple[str, ...]


def reorder_pitches(
    site: Site, editor: Editor, event: str, slugs: list[str], now: datetime
) -> Outcome:
    """Number the projects `slugs` 1..n in that order; the event's other projects lose
    their number (they pitch after, in the deck's default order)."""
    require_organiser(editor, "set the pitch order")
    if event not in site.events:
        raise NotFound(f"event {event!r} does not exist")
    seen: set[str] = set()
    for slug in slugs:
        if (event, slug) not in site.projects:
            raise NotFound(f"no project {slug!r} in event {event!r} ({schema.PROJECTS.path})")
        if slug in seen:
            raise Conflict(f"project {slug!r} is listed twice: list each pitch once")
        seen.add(slug)
    wanted = {slug: number for number, slug in enumerate(slugs, start=1)}
    changed: list[str] = []
    for project in list(site.projects_of(event)):
        number = wanted.get(project.slug)
        if project.pitch_order != number:
            site.projects[project.key] = replace(project, pitch_order=number)
            changed.append(project.slug)
    record = PitchOrder(event, tuple(slugs))
    if not changed:
        return Outcome(record, None, None)
    entry = f"events/{event}/pitch-order"
    return Outcome(record, None, audit(editor, now, "update", entry, ("pitch_order",)))
