"""Organisers' announcements: Markdown posts to a whole event, shown on its page and log;
organisers may correct or remove them.

An announcement is an activity with an empty `project` and the action `announce`; it
keeps to the size limit of posts, but not to the hourly quota (organisers have none).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..archive import schema
from ..archive.rules import ANNOUNCE
from ..model import Activity, Site
from .common import Outcome, audit, make_activity, require_organiser
from .editor import Editor
from .entries import Precondition, activity_etag, canonical
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


def find_announcement(site: Site, event: str, activity_id: str) -> Activity:
    if event not in site.events:
        raise NotFound(f"event {event!r} does not exist")
    found = site.activities.get(activity_id)
    if found is None or found.event != event or found.action != ANNOUNCE:
        raise NotFound(f"announcement {activity_id!r} does not exist in event {event!r}")
    return found


def edit_announcement(
    site: Site,
    editor: Editor,
    event: str,
    activity_id: str,
    pre: Precondition,
    content: str | None,
    ref_url: str | None,
    now: datetime,
    quota: PostQuota | None = None,
) -> Outcome:
    """Replace an announcement's text and/or link (None keeps it) as an organiser,
    keeping its id and date."""
    require_organiser(editor, "edit announcements")
    current = find_announcement(site, event, activity_id)
    pre.check(activity_etag(current), f"announcement {activity_id!r}")
    content = current.content if content is None else content
    ref_url = current.ref_url if ref_url is None else ref_url
    if quota is not None:
        quota.check(site, editor, event, "", content, ref_url, now)
    new = canonical(schema.ACTIVITIES, replace(current, content=content, ref_url=ref_url))
    if new == current:
        return Outcome(current, activity_etag(current), None)
    site.activities[new.id] = new
    fields = tuple(f for f in ("content", "ref_url") if getattr(new, f) != getattr(current, f))
    entry = f"activities/{new.id}"
    return Outcome(new, activity_etag(new), audit(editor, now, "update", entry, fields))


def delete_announcement(
    site: Site, editor: Editor, event: str, activity_id: str, pre: Precondition, now: datetime
) -> Outcome:
    """Remove an announcement from the event's log (organisers)."""
    require_organiser(editor, "delete announcements")
    current = find_announcement(site, event, activity_id)
    pre.check(activity_etag(current), f"announcement {activity_id!r}")
    del site.activities[current.id]
    return Outcome(None, None, audit(editor, now, "delete", f"activities/{current.id}"))
