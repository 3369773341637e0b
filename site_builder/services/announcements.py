"""Organisers' announcements: Markdown posts to a whole event, shown on its page and log.

An announcement is an activity with an empty `project` and the action `announce`; it
keeps to the size limit of posts, but not to the hourly quota (organisers have none).
"""

from __future__ import annotations

from datetime import datetime

from ..archive import schema
from ..archive.rules import ANNOUNCE
from ..model import Activity, Site
from .common import Outcome, audit, make_activity, require_organiser
from .editor import Editor
from .entries import activity_etag, canonical
from .errors import NotFound
from .quotas import PostQuota


def announce(
    site: Site,
    editor: Editor,
    event: str,
    content: str,
    ref_url: str,
    now: datetime,
    quota: PostQuota | None = None,
) -> Outcome:
    """Add an organiser's announcement to `event`'s log."""
    require_organiser(editor, "post announcements")
    if event not in site.events:
        raise NotFound(f"event {event!r} does not exist")
    if quota is not None:
        quota.check(site, editor, event, "", content, ref_url, now)
    activity = make_activity(
        site,
        editor,
        event,
        "",
        now,
        action=ANNOUNCE,
        content=content,
        ref_url=ref_url,
        name="announcement",
    )
    checked = canonical(schema.ACTIVITIES, activity)
    site.activities[checked.id] = checked
    entry = f"activities/{checked.id}"
    return Outcome(checked, activity_etag(checked), audit(editor, now, "announce", entry), True)


def announcements(site: Site, event: str) -> list[Activity]:
    """The event's announcements, newest first."""
    items = [a for a in site.activities.values() if a.event == event and a.action == ANNOUNCE]
    return sorted(items, key=lambda a: a.id, reverse=True)
